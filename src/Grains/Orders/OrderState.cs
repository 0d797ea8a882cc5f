using Oms.Contracts.Fulfilments;
using Oms.Contracts.Security;
using Oms.Contracts.Orders;
using Oms.Contracts.Returns;
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

    /// <summary>Cancellation ids applied by an earlier version, before fulfilment took cancelling over; handed over with the order.</summary>
    public Dictionary<string, string> Cancellations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A cancellation recorded but not yet confirmed at every stock item; finished on activation.</summary>
    public List<AllocationSlice>? PendingTargets { get; set; }

    /// <summary>
    /// The lines' stock holds were found open once: a retry after a roll-back (which frees the converted units,
    /// not the hold) must not be refused for the holds this order itself used up.
    /// </summary>
    public bool HoldsVerified { get; set; }

    /// <summary>When each fulfilment of the plan must be accepted by, from its location's profile at checkout.</summary>
    public Dictionary<string, DateTimeOffset>? AcceptBy { get; set; }

    /// <summary>What each shipment promised at allocation, by fulfilment id; null when nothing was promised.</summary>
    public Dictionary<string, Oms.Contracts.Promise.PromisedDelivery>? Promises { get; set; }

    /// <summary>The fulfilment grain has the order; until then activation and the reminder hand it over again.</summary>
    public bool HandedOff { get; set; }

    /// <summary>When checkout allocated the order: the fulfilments were requested then.</summary>
    public DateTimeOffset? AllocatedAt { get; set; }

    /// <summary>The newest news from the fulfilment grain: its fulfilments, the units of each line, the flag.</summary>
    public FulfilmentSummary? Tracked { get; set; }

    /// <summary>The newest news from the returns grain: the order's returns and refunds.</summary>
    public AftercareSummary? Aftercare { get; set; }

    /// <summary>This order's events, durable with the change that raised them until the feed has them.</summary>
    public EventOutbox Events { get; set; } = new();

    public bool Exists => Request is not null;

    public int AllocatedOf(string lineId) => Slices.Where(s => s.LineId == lineId).Sum(s => s.Quantity);

    /// <summary>Records an event by the request's actor; <paramref name="author"/> is what a person typed as their name.</summary>
    public void Log(DateTimeOffset at, string type, string details, string? author = null) =>
        Timeline.Add(new TimelineEvent(at, type, ActorContext.Current, details, ActorContext.CurrentName, author));

    /// <summary>The order's status follows from its lines' units, and once fulfilment has begun, from where they are.</summary>
    public OrderStatus Derive()
    {
        if (Status is OrderStatus.Pending or OrderStatus.Failed)
        {
            return Status;
        }

        var lines = Lines().ToList();
        var ordered = lines.Sum(l => l.Quantity);
        if (Tracked is null)
        {
            var cancelled = lines.Sum(l => Cancelled.GetValueOrDefault(l.LineId));
            return cancelled == 0 ? OrderStatus.Allocated : cancelled >= ordered ? OrderStatus.Cancelled : OrderStatus.PartiallyCancelled;
        }

        return OrderStatuses.Derive(ordered, Tracked);
    }
    /// <param name="slices">The allocation to show, when it is not yet <see cref="Slices"/> (a cancellation being applied).</param>
    /// <remarks>
    /// The delivery is the fulfilment's once it has news: a pickup change moves the counter there, while
    /// <see cref="Request"/> stays what checkout was asked, so a retried checkout still matches its fingerprint.
    /// The lists are copies: a view is immutable on the wire, so it is serialized (or, in a silo, kept) as it is,
    /// perhaps while the next request is adding to this order's timeline.
    /// </remarks>
    public OrderView View(string orderId, List<AllocationSlice>? slices = null) => new(
        orderId, Derive(), Request!.Channel, Request.Customer, Tracked?.Delivery ?? Request.Delivery,
        [.. Lines().Select(l => Tracked is { } tracked ? TrackedLine(l, tracked) : PlacedLine(l, slices ?? Slices))],
        [.. Fulfilments], [.. Timeline], CreatedAt, Request.ReservationId, Request.StoreLocationId,
        Tracked?.Fulfilments ?? [.. Fulfilments.Select(f => PlannedView(f))],
        Tracked?.NeedsAttention,
        Aftercare?.Returns ?? [],
        Aftercare?.Refunds ?? [],
        Tracked?.Exchanges ?? [],
        Aftercare?.Charges ?? []);

    /// <summary>The lines placed at checkout, and the replacements exchanges added since.</summary>
    public IEnumerable<OrderLine> Lines() => Tracked?.Added is { } added ? Request!.Lines.Concat(added) : Request!.Lines;

    private OrderLineView PlacedLine(OrderLine l, List<AllocationSlice> slices)
    {
        var allocated = slices.Where(s => s.LineId == l.LineId).Sum(s => s.Quantity);
        return new OrderLineView(l.LineId, l.Sku, l.Quantity, l.UnitPrice, l.Currency,
            allocated > 0 ? LineStatus.Allocated : LineStatus.Cancelled, allocated, Cancelled.GetValueOrDefault(l.LineId),
            [.. slices.Where(s => s.LineId == l.LineId && s.Quantity > 0).Select(s => new LineAllocation(s.LocationId, s.Quantity))]);
    }

    private static OrderLineView TrackedLine(OrderLine l, FulfilmentSummary tracked)
    {
        var u = tracked.Lines.FirstOrDefault(x => x.LineId == l.LineId) ?? new LineUnits(l.LineId, 0, 0, 0, 0, 0, 0);
        return new OrderLineView(l.LineId, l.Sku, l.Quantity, l.UnitPrice, l.Currency,
            u.Cancelled >= l.Quantity ? LineStatus.Cancelled : LineStatus.Allocated, u.Allocated, u.Cancelled,
            [.. tracked.Held.Where(h => h.LineId == l.LineId).Select(h => new LineAllocation(h.LocationId, h.Quantity))],
            u.Shipped, u.Delivered, u.Collected, u.Unfulfillable);
    }

    /// <summary>A fulfilment as the plan made it, for the moment between checkout and the fulfilment grain's first news.</summary>
    private FulfilmentView PlannedView(Fulfilment f) => new(
        f.FulfilmentId, f.LocationId, f.Mode, FulfilmentStatus.Requested, f.Lines, [], f.Explanation,
        f.Mode == FulfilmentMode.Ship ? null : Request!.Delivery.PickupLocationId, CreatedAt,
        AcceptBy?.GetValueOrDefault(f.FulfilmentId), null, null, null, null, null, []);
}
