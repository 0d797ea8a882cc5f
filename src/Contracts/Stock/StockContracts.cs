using Oms.Contracts.Locations;

namespace Oms.Contracts.Stock;

/// <summary>The exact position of one SKU at one location.</summary>
[GenerateSerializer, Immutable, Alias("oms.StockLevel")]
public sealed record StockLevel(
    [property: Id(0)] string Sku,
    [property: Id(1)] string LocationId,
    [property: Id(2)] int OnHand,
    [property: Id(3)] int SafetyStock,
    [property: Id(4)] int Reserved,
    [property: Id(5)] int Allocated,
    [property: Id(6)] int Available);

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
}

[GenerateSerializer, Immutable, Alias("oms.HoldResult")]
public sealed record HoldResult(
    [property: Id(0)] HoldOutcome Outcome,
    [property: Id(1)] int Available,
    [property: Id(2)] string? Reason = null);

/// <summary>One per SKU at one location, keyed <see cref="Ids.StockItemKey"/>.</summary>
[Alias("oms.IStockItemGrain")]
public interface IStockItemGrain : IGrainWithStringKey
{
    [Alias("GetLevel")]
    Task<StockLevel> GetLevel();

    /// <summary>An absolute on-hand figure from a WMS or POS feed; a sequence not newer than the last applied changes nothing.</summary>
    [Alias("ApplySnapshot")]
    Task<StockCommandResult> ApplySnapshot(long sequence, int onHand, int? safetyStock);

    /// <summary>A delta (received, damaged, sold in store), applied once per adjustment id.</summary>
    [Alias("ApplyAdjustment")]
    Task<StockCommandResult> ApplyAdjustment(string adjustmentId, int delta, string? reason);

    /// <summary>Holds units for a reservation until <paramref name="expiresAt"/>; idempotent per reservation id.</summary>
    [Alias("PlaceHold")]
    Task<HoldResult> PlaceHold(string reservationId, int quantity, DateTimeOffset expiresAt);

    /// <summary>Idempotent: releasing an unknown or already released hold is a no-op.</summary>
    [Alias("ReleaseHold")]
    Task ReleaseHold(string reservationId);
}
