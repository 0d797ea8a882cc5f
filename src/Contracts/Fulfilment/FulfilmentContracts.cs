using System.Text.Json.Serialization;
using Oms.Contracts.Orders;
using Orleans.Concurrency;

namespace Oms.Contracts.Fulfilments;

/// <summary>Where one fulfilment (a request to one location for some units of an order) stands.</summary>
[GenerateSerializer, Alias("oms.FulfilmentStatus")]
public enum FulfilmentStatus
{
    Requested = 0,
    Accepted = 1,
    Packed = 2,
    Shipped = 3,
    Delivered = 4,
    /// <summary>A transfer's units arrived at the pickup boutique.</summary>
    Received = 5,
    ReadyForPickup = 6,
    Collected = 7,
    /// <summary>Ready for pickup and not collected in time.</summary>
    Expired = 8,
    Rejected = 9,
    Cancelled = 10,
    /// <summary>An exchange's replacement, allocated and held until the return arrives; in no work queue.</summary>
    OnHold = 11,
}

/// <summary>What a warehouse, a boutique or a carrier reports about a fulfilment.</summary>
[GenerateSerializer, Alias("oms.FulfilmentReportType")]
public enum FulfilmentReportType
{
    Accepted = 0,
    Rejected = 1,
    Packed = 2,
    Shipped = 3,
    Delivered = 4,
    Received = 5,
    ReadyForPickup = 6,
    Collected = 7,
}

[GenerateSerializer, Alias("oms.RejectionReason")]
public enum RejectionReason
{
    /// <summary>Not on the shelf: written off the location's on hand.</summary>
    NotFound = 0,
    /// <summary>Found damaged: moved to the location's quarantine, not sellable.</summary>
    Damaged = 1,
    NoCapacity = 2,
    Other = 3,
    /// <summary>Not accepted in time; decided by the OMS, never reported.</summary>
    Timeout = 4,
}

/// <param name="Lines">The units the report covers; null for every open unit of the fulfilment.</param>
/// <param name="OccurredAt">When it happened, as the carrier or the shop recorded it; a delivery is judged against its
/// promise by this time, not by when the report arrived. Left out of the fingerprint when absent, so a report stored
/// before the field replays as itself.</param>
[GenerateSerializer, Immutable, Alias("oms.FulfilmentReport")]
public sealed record FulfilmentReport(
    [property: Id(0)] string EventId,
    [property: Id(1)] FulfilmentReportType Type,
    [property: Id(2)] IReadOnlyList<FulfilmentLine>? Lines = null,
    [property: Id(3)] string? Carrier = null,
    [property: Id(4)] string? Service = null,
    [property: Id(5)] string? TrackingNumber = null,
    [property: Id(6)] string? TrackingUrl = null,
    [property: Id(7)] RejectionReason? Reason = null,
    [property: Id(8)] string? Note = null,
    [property: Id(9)] string? PickupCode = null,
    [property: Id(10), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? OccurredAt = null);

[GenerateSerializer, Immutable, Alias("oms.Shipment")]
public sealed record Shipment(
    [property: Id(0)] string? Carrier,
    [property: Id(1)] string? Service,
    [property: Id(2)] string? TrackingNumber,
    [property: Id(3)] string? TrackingUrl,
    [property: Id(4)] DateTimeOffset ShippedAt);

/// <param name="Status">The status entered, or for a report that changed nothing the report's type.</param>
[GenerateSerializer, Immutable, Alias("oms.FulfilmentHistoryEntry")]
public sealed record FulfilmentHistoryEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Status,
    [property: Id(2)] string Actor,
    [property: Id(3)] string Details,
    [property: Id(4)] string? EventId = null,
    [property: Id(5)] string? ActorName = null);

/// <param name="Lines">Every unit this fulfilment was asked for, cancelled ones included.</param>
/// <param name="CancelledLines">Units cancelled off it; a physical report about them (the parcel left anyway) reverses that.</param>
/// <param name="PickupLocationId">Where a transfer goes, or where a pickup is collected.</param>
/// <param name="SplitFrom">The fulfilment a partial report divided this one from.</param>
[GenerateSerializer, Immutable, Alias("oms.FulfilmentView")]
public sealed record FulfilmentView(
    [property: Id(0)] string FulfilmentId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] FulfilmentMode Mode,
    [property: Id(3)] FulfilmentStatus Status,
    [property: Id(4)] IReadOnlyList<FulfilmentLine> Lines,
    [property: Id(5)] IReadOnlyList<FulfilmentLine> CancelledLines,
    [property: Id(6)] SourcingExplanation Explanation,
    [property: Id(7)] string? PickupLocationId,
    [property: Id(8)] DateTimeOffset RequestedAt,
    [property: Id(9)] DateTimeOffset? AcceptBy,
    [property: Id(10)] DateTimeOffset? CollectBy,
    [property: Id(11)] string? PickupCode,
    [property: Id(12)] Shipment? Shipment,
    [property: Id(13)] RejectionReason? RejectionReason,
    [property: Id(14)] string? SplitFrom,
    [property: Id(15)] IReadOnlyList<FulfilmentHistoryEntry> History,
    [property: Id(16), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    Oms.Contracts.Promise.PromisedDelivery? PromisedDelivery = null,
    [property: Id(17), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    Oms.Contracts.Promise.PromiseResult? PromiseResult = null);

/// <summary>An order line's units by where they are; the six always add up to the ordered quantity.</summary>
/// <param name="Allocated">Held for the customer: at a location, in transfer to the pickup boutique, or ready there.</param>
/// <param name="Shipped">On the way to the customer.</param>
[GenerateSerializer, Immutable, Alias("oms.LineUnits")]
public sealed record LineUnits(
    [property: Id(0)] string LineId,
    [property: Id(1)] int Allocated,
    [property: Id(2)] int Shipped,
    [property: Id(3)] int Delivered,
    [property: Id(4)] int Collected,
    [property: Id(5)] int Cancelled,
    [property: Id(6)] int Unfulfillable);

/// <summary>Something the order must tell the world about, in the order it happened.</summary>
/// <param name="Type">The event type (<c>fulfilment.shipped</c>, <c>order.cancellationReversed</c> …).</param>
/// <param name="Details">The line the order's timeline shows.</param>
/// <param name="Data">The event's data, JSON; the order adds itself as <c>order</c>.</param>
[GenerateSerializer, Immutable, Alias("oms.FulfilmentHappening")]
public sealed record FulfilmentHappening(
    [property: Id(0)] long Version,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string Type,
    [property: Id(3)] string Actor,
    [property: Id(4)] string? ActorName,
    [property: Id(5)] string Details,
    [property: Id(6)] string Data);

/// <summary>
/// The fulfilment side of an order as of <see cref="Version"/>, with what happened since the order last heard:
/// the order keeps the newest it was told, so a retried or late summary changes nothing.
/// </summary>
[GenerateSerializer, Immutable, Alias("oms.FulfilmentSummary")]
public sealed record FulfilmentSummary(
    [property: Id(0)] long Version,
    [property: Id(1)] IReadOnlyList<FulfilmentView> Fulfilments,
    [property: Id(2)] IReadOnlyList<LineUnits> Lines,
    [property: Id(3)] string? NeedsAttention,
    [property: Id(4)] IReadOnlyList<FulfilmentHappening> Happenings,
    [property: Id(5)] IReadOnlyList<LineAllocationAt> Held,
    [property: Id(6)] IReadOnlyList<OrderLine>? Added = null,
    [property: Id(7)] IReadOnlyList<Oms.Contracts.Returns.ExchangeView>? Exchanges = null,
    [property: Id(8)] Delivery? Delivery = null);

/// <summary>What an order hands over to its fulfilment once it is allocated.</summary>
/// <param name="Allocated">Units allocated per line and location (the stock items' allocation keys hold these).</param>
/// <param name="Cancellations">Cancellation keys the order applied before fulfilment took cancelling over, so they still replay.</param>
[GenerateSerializer, Immutable, Alias("oms.FulfilmentHandOff")]
public sealed record FulfilmentHandOff(
    [property: Id(0)] PlaceOrder Request,
    [property: Id(1)] IReadOnlyList<Fulfilment> Plan,
    [property: Id(2)] IReadOnlyList<LineAllocationAt> Allocated,
    [property: Id(3)] IReadOnlyDictionary<string, int> Cancelled,
    [property: Id(4)] IReadOnlyList<string> ShipSlots,
    [property: Id(5)] DateTimeOffset PlacedAt,
    [property: Id(6)] IReadOnlyDictionary<string, DateTimeOffset>? AcceptBy = null,
    [property: Id(7)] IReadOnlyDictionary<string, string>? Cancellations = null,
    [property: Id(8)] IReadOnlyDictionary<string, Oms.Contracts.Promise.PromisedDelivery>? Promises = null);

[GenerateSerializer, Immutable, Alias("oms.LineAllocationAt")]
public sealed record LineAllocationAt([property: Id(0)] string LineId, [property: Id(1)] string Sku, [property: Id(2)] string LocationId, [property: Id(3)] int Quantity);

[GenerateSerializer, Alias("oms.FulfilmentReportOutcome")]
public enum FulfilmentReportOutcome
{
    Applied = 0,
    /// <summary>The same event id again: the result it had.</summary>
    Replayed = 1,
    /// <summary>Behind the fulfilment's status (late or repeated): recorded, nothing changed.</summary>
    AlreadyPast = 2,
    NotFound = 3,
    /// <summary>Not possible from the current status.</summary>
    Impossible = 4,
    Invalid = 5,
    /// <summary>The event id was used for another report.</summary>
    KeyConflict = 6,
    WrongPickupCode = 7,
    /// <summary>The credential's locations are not this fulfilment's.</summary>
    Forbidden = 8,
}

[GenerateSerializer, Immutable, Alias("oms.FulfilmentReportResult")]
public sealed record FulfilmentReportResult(
    [property: Id(0)] FulfilmentReportOutcome Outcome,
    [property: Id(1)] FulfilmentView? Fulfilment,
    [property: Id(2)] string? Message = null,
    [property: Id(3)] string? Field = null,
    [property: Id(4)] FulfilmentStatus? CurrentStatus = null);

[GenerateSerializer, Alias("oms.ResourceOutcome")]
public enum ResourceOutcome { Resourced = 0, NothingToResource = 1, NoCandidate = 2, NotFound = 3, Contended = 4 }

[GenerateSerializer, Immutable, Alias("oms.ResourceResult")]
public sealed record ResourceResult([property: Id(0)] ResourceOutcome Outcome, [property: Id(1)] OrderView? Order, [property: Id(2)] string? Message = null);

[GenerateSerializer, Alias("oms.PickupChangeOutcome")]
public enum PickupChangeOutcome
{
    Changed = 0,
    /// <summary>The order is already to be collected there: nothing changed, as a retry expects.</summary>
    Unchanged = 1,
    NotFound = 2,
    NotClickAndCollect = 3,
    /// <summary>A fulfilment is past the point where its units can go elsewhere (ready, collected, on its way).</summary>
    TooLate = 4,
    /// <summary>Every unit is cancelled: nothing is left to collect anywhere.</summary>
    NothingToPickUp = 5,
    /// <summary>The new boutique cannot be served (its stock, or a transfer to it); nothing changed.</summary>
    NoStock = 6,
    /// <summary>Other orders took the units sourcing had counted on; nothing changed, a retry may succeed.</summary>
    Contended = 7,
}

/// <param name="Reason">Free text for the timeline and the event; the actor is the credential.</param>
[GenerateSerializer, Immutable, Alias("oms.ChangePickup")]
public sealed record ChangePickup([property: Id(0)] string LocationId, [property: Id(1)] string? Reason);

[GenerateSerializer, Immutable, Alias("oms.PickupChangeResult")]
public sealed record PickupChangeResult([property: Id(0)] PickupChangeOutcome Outcome, [property: Id(1)] OrderView? Order, [property: Id(2)] string? Message = null);

/// <summary>
/// The fulfilment of one order, keyed by order id: every fulfilment's status, the units and their allocations
/// after checkout, the locations' reports, deadlines, cancellations of units and re-sourcing. The order grain
/// keeps the commercial record and the order's events; this grain tells it what changed.
/// </summary>
[Alias("oms.IFulfilmentGrain")]
public interface IFulfilmentGrain : IGrainWithStringKey
{
    /// <summary>Idempotent. Interleaved because the order calls it while this grain may be waiting on the order.</summary>
    [AlwaysInterleave, Alias("Open"), Oms.Contracts.Faults.Idempotent]
    Task Open(FulfilmentHandOff handOff);

    /// <param name="locations">The locations the caller acts for; null for every location.</param>
    /// <remarks>Keyed by the report's event id and fingerprinted, so a call whose silo left is sent again.</remarks>
    [Alias("Report"), Oms.Contracts.Faults.Idempotent]
    Task<FulfilmentReportResult> Report(string fulfilmentId, FulfilmentReport report, IReadOnlyList<string>? locations);

    /// <remarks>Keyed by the cancellation id and fingerprinted, so a call whose silo left is sent again.</remarks>
    [Alias("Cancel"), Oms.Contracts.Faults.Idempotent]
    Task<CancelResult> Cancel(CancelOrder request);

    /// <summary>Sources the unfulfillable lines again, excluding the locations that rejected them.</summary>
    [Alias("Resource")]
    Task<ResourceResult> Resource();

    /// <summary>Moves a click-and-collect order not yet ready to another boutique: sourced again there, all or nothing.</summary>
    [Alias("ChangePickup")]
    Task<PickupChangeResult> ChangePickup(ChangePickup request);

    [ReadOnly, Alias("Get")]
    Task<FulfilmentView?> Get(string fulfilmentId);

    /// <summary>What after-care needs of this order; null for an order that does not exist.</summary>
    /// <remarks>Interleaved and read-only: the returns grain asks while this grain may be telling it something.</remarks>
    [AlwaysInterleave, ReadOnly, Alias("Aftercare")]
    Task<Oms.Contracts.Returns.AftercareFacts?> Aftercare();

    /// <summary>After-care's asks: intercepted parcels received back (their units are cancelled), exchanges' held
    /// replacements to release or drop. One-way, as the returns grain sends it while this grain may be waiting on it;
    /// the returns grain repeats it until the facts say it is done.</summary>
    [OneWay, Alias("Instruct")]
    Task Instruct(Oms.Contracts.Returns.AftercareInstructions instructions);

    /// <summary>Authorises the return of old units and adds their replacements, sourced and allocated, all or nothing.</summary>
    [Alias("Exchange")]
    Task<Oms.Contracts.Returns.ExchangeResult> Exchange(Oms.Contracts.Returns.CreateExchange request);

    /// <summary>Enforces what is due, finishes what a crash left and retells news. One-way, so the order's
    /// reminder can send it without waiting on a grain that may be telling the order something.</summary>
    [OneWay, Alias("Wake")]
    Task Wake();
}

/// <summary>One fulfilment in a location's work queue.</summary>
/// <param name="Incoming">A transfer on its way to (or at) this boutique, rather than sent from it.</param>
[GenerateSerializer, Immutable, Alias("oms.FulfilmentTask")]
public sealed record FulfilmentTask(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string FulfilmentId,
    [property: Id(2)] FulfilmentMode Mode,
    [property: Id(3)] FulfilmentStatus Status,
    [property: Id(4)] IReadOnlyList<FulfilmentTaskLine> Lines,
    [property: Id(5)] DateTimeOffset RequestedAt,
    [property: Id(6)] DateTimeOffset? AcceptBy,
    [property: Id(7)] DateTimeOffset? CollectBy,
    [property: Id(8)] string? CustomerName,
    [property: Id(9)] bool Incoming);

[GenerateSerializer, Immutable, Alias("oms.FulfilmentTaskLine")]
public sealed record FulfilmentTaskLine([property: Id(0)] string LineId, [property: Id(1)] string Sku, [property: Id(2)] int Quantity);

[GenerateSerializer, Immutable, Alias("oms.FulfilmentTaskPage")]
public sealed record FulfilmentTaskPage([property: Id(0)] IReadOnlyList<FulfilmentTask> Items, [property: Id(1)] string? Next);

/// <summary>A location's open fulfilments, keyed by location id, kept by the orders' fulfilment grains.</summary>
[Alias("oms.IFulfilmentQueueGrain")]
public interface IFulfilmentQueueGrain : IGrainWithStringKey
{
    /// <summary>The order's open fulfilments here are now exactly <paramref name="tasks"/>; an older version changes nothing.</summary>
    [Alias("Put"), Oms.Contracts.Faults.Idempotent]
    Task Put(string orderId, long version, IReadOnlyList<FulfilmentTask> tasks);

    /// <summary>Oldest request first; <paramref name="status"/> null for every open status.</summary>
    [ReadOnly, Alias("List")]
    Task<FulfilmentTaskPage> List(FulfilmentStatus? status, int limit, string? cursor);
}
