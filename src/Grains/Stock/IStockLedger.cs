namespace Oms.Grains.Stock;

/// <summary>A position as last snapshotted, the movements appended after it, and the item's last signal (null: never recorded).</summary>
public sealed record StockLedgerState(StockPosition? Snapshot, IReadOnlyList<StockMovement> Tail, StockSignalState? Signal = null);

/// <summary>The earliest expiry among an item's open holds, or none when it has no open hold.</summary>
public readonly record struct HoldDeadline(DateTimeOffset? Due);

/// <summary>Another writer appended at the sequence this one expected to use: this writer's view is stale.</summary>
public sealed class StockLedgerConflictException(string key, long expectedSequence, Exception? inner = null)
    : Exception($"The ledger of {key} moved past sequence {expectedSequence}; another writer appended first.", inner);

/// <summary>
/// The append-only stock ledger: the only persistence of a stock item. Appends are optimistic on the expected
/// sequence, so two activations of one key can never fork it; the loser gets a conflict and reloads.
/// </summary>
public interface IStockLedger
{
    Task<StockLedgerState> Load(string key, CancellationToken cancellationToken = default);

    /// <summary>Appends movements numbered from <paramref name="expectedSequence"/> + 1, all or none.</summary>
    /// <param name="deadline">When not null, the item's earliest hold expiry as of these movements, recorded in
    /// the same round trip so the expiry sweep finds the item even if its silo dies.</param>
    /// <param name="signal">When not null, the item's new signal and its events, put in the outbox in the same
    /// transaction: an event exists exactly when the movements that caused it do.</param>
    /// <exception cref="StockLedgerConflictException">Some movement at those sequences already exists.</exception>
    Task Append(string key, long expectedSequence, IReadOnlyList<StockMovement> movements, HoldDeadline? deadline = null,
        StockSignalChange? signal = null, CancellationToken cancellationToken = default);

    /// <summary>Records the item's earliest hold expiry (none: the item drops out of the sweep).</summary>
    Task SetDeadline(string key, HoldDeadline deadline, CancellationToken cancellationToken = default);

    /// <summary>Items whose earliest hold expired at or before <paramref name="before"/>, earliest first.</summary>
    Task<IReadOnlyList<string>> DueItems(DateTimeOffset before, int limit, CancellationToken cancellationToken = default);

    /// <summary>Keeps only the newest snapshot; an older one than stored is ignored.</summary>
    /// <remarks>
    /// Implementations take what they need from <paramref name="position"/> before their first await: the caller
    /// does not wait for the write, and goes on changing the position meanwhile.
    /// </remarks>
    Task SaveSnapshot(string key, StockPosition position, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StockMovement>> Read(string key, long afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>Every movement of one item under one reference (a hold, an order line), oldest first.</summary>
    Task<IReadOnlyList<StockMovement>> ReadReference(string key, string reference, CancellationToken cancellationToken = default);
}
