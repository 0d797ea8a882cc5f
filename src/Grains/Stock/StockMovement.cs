namespace Oms.Grains.Stock;

/// <summary>What happened to a stock position; every change is one of these, appended to the ledger.</summary>
[GenerateSerializer, Alias("oms.MovementKind")]
public enum MovementKind
{
    SnapshotApplied,
    Adjusted,
    HoldPlaced,
    HoldReleased,
    HoldExpired,
    Allocated,
    AllocationCancelled,
    Shipped,
    Restocked,
    /// <summary>A hold turned into an order's allocation (the Allocated movement that follows it carries the order line).</summary>
    HoldAllocated,
    /// <summary>A snapshot from a feed that restarted its numbering: applied whatever its sequence.</summary>
    SnapshotReset,
    /// <summary>A customer collected allocated units at this boutique: allocated and on hand fall.</summary>
    Collected,
    /// <summary>A transfer's units arrived here and stay allocated to their order: on hand and allocated rise.</summary>
    TransferReceived,
    /// <summary>Allocated units the location could not find: allocated and on hand fall.</summary>
    WrittenOff,
    /// <summary>Allocated units found damaged: no longer allocated, kept on hand but not sellable.</summary>
    Quarantined,
    /// <summary>A customer's return arrived sellable: on hand rises, nothing allocated. The reference is the return.</summary>
    Returned,
    /// <summary>A customer's return arrived damaged: on hand and quarantined rise. The reference is the return.</summary>
    ReturnedDamaged,
}

/// <summary>
/// One ledger entry. <see cref="Quantity"/> is the absolute on hand for a snapshot and the units moved for
/// every other kind; <see cref="Reference"/> is the feed, adjustment, reservation or order it came from, and
/// <see cref="Actor"/> the credential whose request caused it (null: the system, such as hold expiry).
/// <see cref="Operation"/> is the id of the physical event it records (a fulfilment's report), remembered so a
/// retried report moves nothing twice.
/// </summary>
/// <remarks>Serializable for Orleans only so the in-memory ledger can live in a grain; the rules never depend on it.</remarks>
[GenerateSerializer, Immutable, Alias("oms.StockMovement")]
public sealed record StockMovement(
    [property: Id(0)] long Sequence,
    [property: Id(1)] MovementKind Kind,
    [property: Id(2)] int Quantity,
    [property: Id(3)] string Reference,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] DateTimeOffset? ExpiresAt = null,
    [property: Id(6)] int? SafetyStock = null,
    [property: Id(7)] long? FeedSequence = null,
    [property: Id(8)] string? CustomerId = null,
    [property: Id(9)] string? Actor = null,
    [property: Id(10)] string? Operation = null);
