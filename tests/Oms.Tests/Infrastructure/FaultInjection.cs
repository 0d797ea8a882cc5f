using Oms.Contracts.Stock;

namespace Oms.Tests.Infrastructure;

/// <summary>
/// Real failures on demand, chosen by SKU: PlaceHold or SetAllocation on a stock item whose SKU starts with
/// <see cref="FailingSkuPrefix"/> throws, as an unreachable silo would; with <see cref="HangingSkuPrefix"/>
/// it stalls, so a test can kill the cluster while a checkout is half-placed.
/// </summary>
public sealed class FaultInjection : IIncomingGrainCallFilter
{
    public const string FailingSkuPrefix = "FAIL-";
    public const string HangingSkuPrefix = "HANG-";

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is IStockItemGrain && context.InterfaceMethod.Name is nameof(IStockItemGrain.PlaceHold) or nameof(IStockItemGrain.SetAllocation))
        {
            var key = context.TargetId.Key.ToString()!;
            if (key.StartsWith(FailingSkuPrefix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException("Injected fault: the stock item is unavailable.");
            }

            if (key.StartsWith(HangingSkuPrefix, StringComparison.Ordinal))
            {
                await Task.Delay(TimeSpan.FromSeconds(20));
            }
        }

        await context.Invoke();
    }
}
