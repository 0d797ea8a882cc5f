using Oms.Contracts.Stock;

namespace Oms.Tests.Infrastructure;

/// <summary>
/// Makes the stock item of any SKU starting with <see cref="FailingSkuPrefix"/> throw on PlaceHold, as a
/// crashed or unreachable silo would, so all-or-nothing can be tested against a real failure mid-checkout.
/// </summary>
public sealed class FaultInjection : IIncomingGrainCallFilter
{
    public const string FailingSkuPrefix = "FAIL-";

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is IStockItemGrain
            && context.InterfaceMethod.Name == nameof(IStockItemGrain.PlaceHold)
            && context.TargetId.Key.ToString()!.StartsWith(FailingSkuPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Injected fault: the stock item is unavailable.");
        }

        return context.Invoke();
    }
}
