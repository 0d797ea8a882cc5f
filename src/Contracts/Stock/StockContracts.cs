using Oms.Contracts.Locations;

namespace Oms.Contracts.Stock;

/// <summary>The exact position of one SKU at one location.</summary>
/// <param name="Quarantined">Units on hand found damaged: neither sellable nor allocated.</param>
[GenerateSerializer, Immutable, Alias("oms.StockLevel")]
public sealed record StockLevel(
    [property: Id(0)] string Sku,
    [property: Id(1)] string LocationId,
    [property: Id(2)] int OnHand,
    [property: Id(3)] int SafetyStock,
    [property: Id(4)] int Reserved,
    [property: Id(5)] int Allocated,
    [property: Id(6)] int Available,
    [property: Id(7)] int Quarantined = 0);

/// <summary>What physically happened to an order line's allocated units at a location (or arrived there for it).</summary>
[GenerateSerializer, Alias("oms.PhysicalMovement")]
public enum PhysicalMovement
{
    Shipped = 0,
    Collected = 1,
    /// <summary>Not found on the shelf: off the books.</summary>
    WrittenOff = 2,
    /// <summary>Found damaged: kept on hand, not sellable.</summary>
    Quarantined = 3,
    /// <summary>A transfer's units arrived, still allocated to their order.</summary>
    TransferReceived = 4,
    /// <summary>A customer's return arrived in sellable condition: back on hand, sellable at once. The key names the return.</summary>
    Returned = 5,
    /// <summary>A customer's return arrived damaged: on hand, quarantined. The key names the return.</summary>
    ReturnedDamaged = 6,
}

[GenerateSerializer, Alias("oms.PhysicalMovementOutcome")]
public enum PhysicalMovementOutcome
{
    Applied = 0,
    /// <summary>The report id was applied already with the same movement.</summary>
    Duplicate = 1,
    /// <summary>The report id was applied already with another movement.</summary>
    Conflict = 2,
    /// <summary>The line has fewer units allocated here.</summary>
    Insufficient = 3,
    WouldExceedCeiling = 4,
    UnknownLocation = 5,
}

[GenerateSerializer, Immutable, Alias("oms.PhysicalMovementResult")]
public sealed record PhysicalMovementResult([property: Id(0)] PhysicalMovementOutcome Outcome, [property: Id(1)] StockLevel Level);

[GenerateSerializer, Alias("oms.StockOutcome")]
public enum StockOutcome
{
    /// <summary>The change was made and is durable.</summary>
    Applied = 0,
    /// <summary>The same command was seen before; nothing changed and the earlier result stands.</summary>
    Duplicate = 1,
    /// <summary>A snapshot older than the last one applied; nothing changed.</summary>
    Stale = 2,
    /// <summary>The command contradicts the rules (for example on hand would go below zero); nothing changed.</summary>
    Rejected = 3,
    /// <summary>The location is not registered; nothing changed.</summary>
    UnknownLocation = 4,
    /// <summary>The same adjustment id or feed sequence was applied with other figures; nothing changed.</summary>
    Conflict = 5,
    /// <summary>A feed sequence too far past the last applied one, without a reset; nothing changed.</summary>
    TooFarAhead = 6,
}

[GenerateSerializer, Immutable, Alias("oms.StockCommandResult")]
public sealed record StockCommandResult(
    [property: Id(0)] StockOutcome Outcome,
    [property: Id(1)] StockLevel Level,
    [property: Id(2)] string? Reason = null,
    [property: Id(3)] long LastSequence = 0);

[GenerateSerializer, Alias("oms.HoldOutcome")]
public enum HoldOutcome
{
    Held = 0,
    /// <summary>Not enough available to promise; the result carries what is available.</summary>
    Insufficient = 1,
    /// <summary>The reservation id already holds a different quantity here, or was released already.</summary>
    Conflict = 2,
    UnknownLocation = 3,
    /// <summary>The same hold again: already held, nothing changed.</summary>
    AlreadyHeld = 4,
}

[GenerateSerializer, Immutable, Alias("oms.HoldResult")]
public sealed record HoldResult(
    [property: Id(0)] HoldOutcome Outcome,
    [property: Id(1)] int Available,
    [property: Id(2)] string? Reason = null,
    [property: Id(3)] DateTimeOffset? ExpiresAt = null,
    [property: Id(4)] DateTimeOffset? PlacedAt = null);

[GenerateSerializer, Alias("oms.HoldStatus")]
public enum HoldStatus
{
    Held = 0,
    Released = 1,
    Expired = 2,
    /// <summary>Converted into an order's allocation at checkout: the held units are the ones sold.</summary>
    Allocated = 3,
}

/// <summary>One hold as its stock item knows it: open from memory, ended from the ledger.</summary>
[GenerateSerializer, Immutable, Alias("oms.StockHoldView")]
public sealed record StockHoldView(
    [property: Id(0)] string Reference,
    [property: Id(1)] HoldStatus Status,
    [property: Id(2)] int Quantity,
    [property: Id(3)] DateTimeOffset ExpiresAt,
    [property: Id(4)] DateTimeOffset? PlacedAt,
    [property: Id(5)] DateTimeOffset? EndedAt,
    [property: Id(6)] string? CustomerId = null);

[GenerateSerializer, Alias("oms.AllocationOutcome")]
public enum AllocationOutcome
{
    Allocated = 0,
    Insufficient = 1,
    /// <summary>The reservation's hold here is for another quantity than the line needs.</summary>
    HoldMismatch = 2,
    UnknownLocation = 3,
}

[GenerateSerializer, Immutable, Alias("oms.AllocationResult")]
public sealed record AllocationResult([property: Id(0)] AllocationOutcome Outcome, [property: Id(1)] int Available);

/// <summary>One ledger entry as an auditor sees it.</summary>
[GenerateSerializer, Immutable, Alias("oms.LedgerEntry")]
public sealed record LedgerEntry(
    [property: Id(0)] long Sequence,
    [property: Id(1)] string Kind,
    [property: Id(2)] int Quantity,
    [property: Id(3)] string Reference,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] DateTimeOffset? ExpiresAt,
    [property: Id(6)] int? SafetyStock,
    [property: Id(7)] long? FeedSequence,
    [property: Id(8)] string Actor = "system",
    [property: Id(9)] string? Operation = null);

[GenerateSerializer, Immutable, Alias("oms.LedgerPage")]
public sealed record LedgerPage(
    [property: Id(0)] string Sku,
    [property: Id(1)] string LocationId,
    [property: Id(2)] IReadOnlyList<LedgerEntry> Entries,
    [property: Id(3)] long? Next);

/// <summary>The live position against the fold of the whole ledger; consistent only when they agree and the fold
/// has no <see cref="Anomalies"/> (figures no accepted command could produce).</summary>
[GenerateSerializer, Immutable, Alias("oms.LedgerVerification")]
public sealed record LedgerVerification(
    [property: Id(0)] string Sku,
    [property: Id(1)] string LocationId,
    [property: Id(2)] bool Consistent,
    [property: Id(3)] long Sequence,
    [property: Id(4)] string Live,
    [property: Id(5)] string Replayed,
    [property: Id(6)] IReadOnlyList<string>? Anomalies = null);

/// <summary>One per SKU at one location, keyed <see cref="Ids.StockItemKey"/>.</summary>
/// <remarks>Every command is decided once per its id (or feed sequence) and the rest only read, so a call whose
/// silo left the cluster is sent again (<see cref="Faults.IdempotentAttribute"/>).</remarks>
[Alias("oms.IStockItemGrain"), Oms.Contracts.Faults.Idempotent]
public interface IStockItemGrain : IGrainWithStringKey
{
    [Alias("GetLevel")]
    Task<StockLevel> GetLevel();

    /// <summary>
    /// The position, or null when this SKU was never stocked at this location; then the activation is dropped,
    /// so reading unknown SKUs leaves nothing behind.
    /// </summary>
    [Alias("FindLevel")]
    Task<StockLevel?> FindLevel();

    /// <summary>
    /// An absolute on-hand figure from a WMS or POS feed; a sequence not newer than the last applied changes nothing,
    /// unless <paramref name="reset"/> says the feed restarted its numbering.
    /// </summary>
    [Alias("ApplySnapshot")]
    Task<StockCommandResult> ApplySnapshot(long sequence, int onHand, int? safetyStock, bool reset = false);

    /// <summary>A delta (received, damaged, sold in store), applied once per adjustment id.</summary>
    [Alias("ApplyAdjustment")]
    Task<StockCommandResult> ApplyAdjustment(string adjustmentId, int delta, string? reason);

    /// <summary>Holds units for a reservation until <paramref name="expiresAt"/>; idempotent per reservation id.</summary>
    /// <param name="customerId">When given, the hold is for that customer and only their order may use it.</param>
    [Alias("PlaceHold")]
    Task<HoldResult> PlaceHold(string reservationId, int quantity, DateTimeOffset expiresAt, string? customerId = null);

    /// <summary>Idempotent: releasing an unknown or already released hold is a no-op.</summary>
    [Alias("ReleaseHold")]
    Task ReleaseHold(string reservationId);

    /// <summary>
    /// Sets the units allocated to one order line here (idempotent: the same call twice changes nothing).
    /// With <paramref name="fromReservationId"/>, that reservation's hold here becomes the allocation.
    /// </summary>
    [Alias("SetAllocation")]
    Task<AllocationResult> SetAllocation(string allocationKey, int quantity, string? fromReservationId);

    /// <summary>
    /// Records what physically happened to an order line's units here (a fulfilment's report), once per
    /// <paramref name="operationId"/>: a retried report moves nothing twice.
    /// </summary>
    [Alias("RecordPhysical")]
    /// <param name="reclaim">Allocate again, from what is available, units a cancellation released before the parcel left anyway.</param>
    Task<PhysicalMovementResult> RecordPhysical(string operationId, PhysicalMovement movement, string allocationKey, int quantity, bool reclaim = false);

    /// <summary>The hold under <paramref name="reference"/>, open or ended; null when it was never placed here.</summary>
    [Alias("GetHold")]
    Task<StockHoldView?> GetHold(string reference);

    /// <summary>Releases every hold whose time has come and records the next expiry; for the expiry sweep.</summary>
    [Alias("SettleExpiredHolds")]
    Task SettleExpiredHolds();

    [Alias("GetLedger")]
    Task<LedgerPage> GetLedger(long afterSequence, int limit);

    /// <summary>Replays the whole ledger from empty and compares it with the live position.</summary>
    [Alias("Verify")]
    Task<LedgerVerification> Verify();
}
