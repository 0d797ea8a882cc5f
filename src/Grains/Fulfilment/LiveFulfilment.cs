using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Contracts.Promise;

namespace Oms.Grains.Fulfilments;

/// <summary>One fulfilment as its grain persists it: the request to one location and what became of it.</summary>
public sealed class LiveFulfilment
{
    public string Id { get; set; } = "";
    public string LocationId { get; set; } = "";
    public FulfilmentMode Mode { get; set; }
    public FulfilmentStatus Status { get; set; }

    /// <summary>Every unit asked for, the cancelled ones included: a late physical report may name them.</summary>
    public List<FulfilmentLine> Lines { get; set; } = [];

    public List<FulfilmentLine> Cancelled { get; set; } = [];

    /// <summary>
    /// Of <see cref="Cancelled"/>, the units a pickup change withdrew and sourced again elsewhere: cancelled for this
    /// location, never for the customer, so the order's line does not count them as cancelled.
    /// </summary>
    public List<FulfilmentLine> Moved { get; set; } = [];

    /// <summary>The status the last cancellation found; a reversal enters only the steps after it.</summary>
    public FulfilmentStatus CancelledFrom { get; set; }

    public SourcingExplanation Explanation { get; set; } = new("", "", []);
    public string? PickupLocationId { get; set; }
    public DateTimeOffset RequestedAt { get; set; }
    public DateTimeOffset? AcceptBy { get; set; }
    public DateTimeOffset? CollectBy { get; set; }
    public string? PickupCode { get; set; }
    public Shipment? Shipment { get; set; }
    public RejectionReason? RejectionReason { get; set; }
    public string? SplitFrom { get; set; }

    /// <summary>How many fulfilments were divided from this one, to name the next.</summary>
    public int Splits { get; set; }

    /// <summary>Wrong pickup codes tried since the current one was issued.</summary>
    public int WrongCodes { get; set; }

    public List<FulfilmentHistoryEntry> History { get; set; } = [];

    /// <summary>The delivery window the shipment promised when it was allocated.</summary>
    public PromisedDelivery? Promise { get; set; }

    /// <summary>How the delivery compared with <see cref="Promise"/>, once delivered.</summary>
    public PromiseResult? PromiseResult { get; set; }

    /// <summary>The units still in play: asked for and not cancelled.</summary>
    public List<FulfilmentLine> Open() => Lines
        .Select(l => l with { Quantity = l.Quantity - Units(Cancelled, l.LineId) })
        .Where(l => l.Quantity > 0)
        .ToList();

    public int OpenUnits(string lineId) => Units(Lines, lineId) - Units(Cancelled, lineId);

    /// <summary>Where the units wait for the customer at the end: the pickup boutique, or for a shipment nowhere.</summary>
    public string? CounterLocation => Mode switch
    {
        FulfilmentMode.Pickup => LocationId,
        FulfilmentMode.Transfer => PickupLocationId,
        _ => null,
    };

    /// <summary>The location whose stock item holds the open units now, or null while they are in transit or gone.</summary>
    public string? Holder => Status switch
    {
        FulfilmentStatus.Requested or FulfilmentStatus.Accepted or FulfilmentStatus.Packed or FulfilmentStatus.OnHold => LocationId,
        FulfilmentStatus.ReadyForPickup when Mode == FulfilmentMode.Pickup => LocationId,
        FulfilmentStatus.Received or FulfilmentStatus.ReadyForPickup when Mode == FulfilmentMode.Transfer => PickupLocationId,
        _ => null,
    };

    public bool IsOpen => !FulfilmentLifecycle.IsTerminal(Status);

    /// <remarks>
    /// Copies of the lists: a view is immutable on the wire, so within a silo the order grain keeps the very object,
    /// and serializes it while this grain may be adding to its history.
    /// </remarks>
    public FulfilmentView View() => new(
        Id, LocationId, Mode, Status, [.. Lines], [.. Cancelled], Explanation, PickupLocationId, RequestedAt,
        Status == FulfilmentStatus.Requested ? AcceptBy : null,
        Status == FulfilmentStatus.ReadyForPickup ? CollectBy : null,
        Status == FulfilmentStatus.ReadyForPickup ? PickupCode : null,
        Shipment, RejectionReason, SplitFrom, [.. History], Promise, PromiseResult);

    public static int Units(IEnumerable<FulfilmentLine> lines, string lineId) => lines.Where(l => l.LineId == lineId).Sum(l => l.Quantity);

    /// <summary><paramref name="lines"/> with <paramref name="units"/> more of <paramref name="lineId"/>, in line order.</summary>
    public static List<FulfilmentLine> Add(List<FulfilmentLine> lines, string lineId, int units)
    {
        if (units == 0)
        {
            return lines;
        }

        var result = lines.Select(l => l.LineId == lineId ? l with { Quantity = l.Quantity + units } : l).Where(l => l.Quantity > 0).ToList();
        if (lines.All(l => l.LineId != lineId))
        {
            result.Add(new FulfilmentLine(lineId, units));
        }

        return result;
    }
}
