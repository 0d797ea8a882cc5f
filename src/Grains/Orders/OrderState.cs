using Oms.Contracts.Security;
using Oms.Contracts.Orders;
using Oms.Grains.Events;

namespace Oms.Grains.Orders;

/// <summary>One planned or made allocation: a slice of an order line at one location.</summary>
public sealed record AllocationSlice(string LineId, string Sku, string LocationId, int Quantity, string? FromReservationId)
{
    /// <summary>The key the stock item knows this slice by; unique per line within one item.</summary>
    public static string Key(string orderId, string lineId) => $"{orderId}:{lineId}";
}

public enum FailureKind { None, Short, Interrupted, Contended, ReservationUnusable }

/// <summary>
/// An order as persisted, and its rules: status derived from its lines, cancellations computed against what is
/// allocated. Pure: the grain does the I/O, this decides what the I/O should be.
/// </summary>
public sealed class OrderState
{
    public PlaceOrder? Request { get; set; }
    public string RequestFingerprint { get; set; } = "";
    public OrderStatus Status { get; set; }
    public FailureKind Failure { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<Fulfilment> Fulfilments { get; set; } = [];

    /// <summary>While Pending, what the checkout intends to allocate; afterwards, what is allocated.</summary>
    public List<AllocationSlice> Slices { get; set; } = [];

    /// <summary>Boutiques whose ship-from-store capacity this order holds a slot of.</summary>
    public List<string> ShipSlots { get; set; } = [];

    public Dictionary<string, int> Cancelled { get; set; } = new(StringComparer.Ordinal);
    public List<UnsourcedLine> Unsourced { get; set; } = [];
    public List<TimelineEvent> Timeline { get; set; } = [];

    /// <summary>Cancellation ids applied, with the request they carried, so a replay is recognised.</summary>
    public Dictionary<string, string> Cancellations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A cancellation recorded but not yet confirmed at every stock item; finished on activation.</summary>
    public List<AllocationSlice>? PendingTargets { get; set; }

    /// <summary>
    /// The lines' stock holds were found open once: a retry after a roll-back (which frees the converted units,
    /// not the hold) must not be refused for the holds this order itself used up.
    /// </summary>
    public bool HoldsVerified { get; set; }

    /// <summary>This order's events, durable with the change that raised them until the feed has them.</summary>
    public EventOutbox Events { get; set; } = new();

    public bool Exists => Request is not null;

    public int AllocatedOf(string lineId) => Slices.Where(s => s.LineId == lineId).Sum(s => s.Quantity);

    /// <summary>Records an event by the request's actor; <paramref name="author"/> is what a person typed as their name.</summary>
    public void Log(DateTimeOffset at, string type, string details, string? author = null) =>
        Timeline.Add(new TimelineEvent(at, type, ActorContext.Current, details, ActorContext.CurrentName, author));

    /// <summary>The order's status follows from its lines: all cancelled, some cancelled, or none.</summary>
    public OrderStatus Derive()
    {
        if (Status is OrderStatus.Pending or OrderStatus.Failed)
        {
            return Status;
        }

        var lines = Request!.Lines;
        var cancelled = lines.Sum(l => Cancelled.GetValueOrDefault(l.LineId));
        var ordered = lines.Sum(l => l.Quantity);
        return cancelled == 0 ? OrderStatus.Allocated : cancelled >= ordered ? OrderStatus.Cancelled : OrderStatus.PartiallyCancelled;
    }

    /// <summary>
    /// The allocation slices after cancelling <paramref name="lines"/> (all that remains when null), taking units
    /// back from a line's last slice first.
    /// </summary>
    /// <returns>The new slices, or the field and reason the request is refused for.</returns>
    public (List<AllocationSlice>? Targets, string? Field, string? Error) PlanCancellation(IReadOnlyList<CancelLine>? lines)
    {
        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        if (lines is null)
        {
            foreach (var line in Request!.Lines)
            {
                wanted[line.LineId] = AllocatedOf(line.LineId);
            }
        }
        else
        {
            for (var i = 0; i < lines.Count; i++)
            {
                var line = lines[i];
                if (Request!.Lines.All(l => l.LineId != line.LineId))
                {
                    return (null, $"lines[{i}].lineId", $"the order has no line '{line.LineId}'.");
                }

                if (wanted.ContainsKey(line.LineId))
                {
                    return (null, $"lines[{i}].lineId", "appears more than once.");
                }

                var open = AllocatedOf(line.LineId);
                if (line.Quantity < 1 || line.Quantity > open)
                {
                    return (null, $"lines[{i}].quantity", $"must be between 1 and {open}, what is still allocated on that line.");
                }

                wanted[line.LineId] = line.Quantity;
            }
        }

        var targets = new List<AllocationSlice>();
        foreach (var group in Slices.GroupBy(s => s.LineId))
        {
            var take = wanted.GetValueOrDefault(group.Key);
            foreach (var slice in group.Reverse())
            {
                var less = Math.Min(take, slice.Quantity);
                take -= less;
                targets.Add(slice with { Quantity = slice.Quantity - less });
            }
        }

        // Keep the original order of slices, so the plan reads the same before and after.
        return ([.. Slices.Select(s => targets.First(t => t.LineId == s.LineId && t.LocationId == s.LocationId))], null, null);
    }

    /// <param name="slices">The allocation to show, when it is not yet <see cref="Slices"/> (a cancellation being applied).</param>
    public OrderView View(string orderId, List<AllocationSlice>? slices = null) => new(
        orderId, Derive(), Request!.Channel, Request.Customer, Request.Delivery,
        [.. Request.Lines.Select(l =>
        {
            var allocated = (slices ?? Slices).Where(s => s.LineId == l.LineId).Sum(s => s.Quantity);
            var cancelled = Cancelled.GetValueOrDefault(l.LineId);
            return new OrderLineView(l.LineId, l.Sku, l.Quantity, l.UnitPrice, l.Currency,
                allocated > 0 ? LineStatus.Allocated : LineStatus.Cancelled, allocated, cancelled,
                [.. (slices ?? Slices).Where(s => s.LineId == l.LineId && s.Quantity > 0).Select(s => new LineAllocation(s.LocationId, s.Quantity))]);
        })],
        Fulfilments, Timeline, CreatedAt, Request.ReservationId, Request.StoreLocationId);
}
