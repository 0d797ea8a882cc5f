using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;

namespace Oms.Grains.Orders;

/// <summary>The order status a customer and care read, derived from where every unit is; never stored.</summary>
public static class OrderStatuses
{
    public static OrderStatus Derive(int ordered, FulfilmentSummary tracked)
    {
        int allocated = 0, shipped = 0, delivered = 0, collected = 0, cancelled = 0, unfulfillable = 0;
        foreach (var u in tracked.Lines)
        {
            (allocated, shipped, delivered, collected, cancelled, unfulfillable) =
                (allocated + u.Allocated, shipped + u.Shipped, delivered + u.Delivered, collected + u.Collected, cancelled + u.Cancelled, unfulfillable + u.Unfulfillable);
        }

        var ready = tracked.Fulfilments.Where(f => f.Status == FulfilmentStatus.ReadyForPickup).Sum(Open);
        var underWay = tracked.Fulfilments.Any(f => Open(f) > 0
            && f.Status is FulfilmentStatus.Accepted or FulfilmentStatus.Packed or FulfilmentStatus.Received or FulfilmentStatus.ReadyForPickup
                || (f.Mode == FulfilmentMode.Transfer && f.Status == FulfilmentStatus.Shipped));
        return 0 switch
        {
            _ when cancelled >= ordered => OrderStatus.Cancelled,
            _ when delivered + collected == ordered => OrderStatus.Completed,
            _ when delivered + collected + cancelled == ordered => collected > 0 && delivered == 0 ? OrderStatus.Collected : OrderStatus.Delivered,
            _ when allocated == 0 && unfulfillable == 0 && shipped > 0 => OrderStatus.Shipped,
            _ when shipped + delivered > 0 => OrderStatus.PartiallyShipped,
            _ when allocated > 0 && ready == allocated => OrderStatus.ReadyForPickup,
            _ when underWay || collected > 0 => OrderStatus.InFulfilment,
            _ when cancelled > 0 => OrderStatus.PartiallyCancelled,
            _ => OrderStatus.Allocated,
        };
    }

    private static int Open(FulfilmentView f) => f.Lines.Sum(l => l.Quantity) - f.CancelledLines.Sum(l => l.Quantity);
}
