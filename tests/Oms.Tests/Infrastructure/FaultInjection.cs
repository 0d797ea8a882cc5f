using Oms.Contracts.Stock;

namespace Oms.Tests.Infrastructure;

/// <summary>
/// Real failures on demand, chosen by SKU: PlaceHold or SetAllocation on a stock item whose SKU starts with
/// <see cref="FailingSkuPrefix"/> times out, as a call to an unreachable silo does; with
/// <see cref="HangingSkuPrefix"/> placing stalls (setting an allocation back to zero does not), so a test can
/// kill the cluster while a checkout is half-placed and watch it recover.
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
                throw new TimeoutException("Injected fault: the stock item did not answer.");
            }

            if (key.StartsWith(HangingSkuPrefix, StringComparison.Ordinal) && !IsRollBack(context))
            {
                await Task.Delay(TimeSpan.FromSeconds(20));
            }
        }

        await context.Invoke();
    }

    private static bool IsRollBack(IIncomingGrainCallContext context) =>
        context.InterfaceMethod.Name == nameof(IStockItemGrain.SetAllocation) && context.Request.GetArgument(1) is 0;
}
