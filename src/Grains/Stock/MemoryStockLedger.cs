namespace Oms.Grains.Stock;

/// <summary>The embedded default's ledger: same contract as PostgreSQL, kept in a grain per stock item so every
/// silo of an in-memory cluster sees the same ledger wherever the stock item activates.</summary>
public sealed class MemoryStockLedger(IGrainFactory grains) : IStockLedger
{
    public async Task<StockLedgerState> Load(string key, CancellationToken cancellationToken = default) =>
        new(null, await grains.GetGrain<IMemoryStockLedgerGrain>(key).Read(0, int.MaxValue));

    public Task Append(string key, long expectedSequence, IReadOnlyList<StockMovement> movements, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IMemoryStockLedgerGrain>(key).Append(expectedSequence, movements);

    public Task SaveSnapshot(string key, StockPosition position, CancellationToken cancellationToken = default) =>
        Task.CompletedTask;

    public Task<IReadOnlyList<StockMovement>> Read(string key, long afterSequence, int limit, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IMemoryStockLedgerGrain>(key).Read(afterSequence, limit);

    public Task<IReadOnlyList<StockMovement>> ReadReference(string key, string reference, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IMemoryStockLedgerGrain>(key).ReadReference(reference);
}

[Alias("oms.IMemoryStockLedgerGrain")]
public interface IMemoryStockLedgerGrain : IGrainWithStringKey
{
    [Alias("Append")]
    Task Append(long expectedSequence, IReadOnlyList<StockMovement> movements);

    [Alias("Read")]
    Task<IReadOnlyList<StockMovement>> Read(long afterSequence, int limit);

    [Alias("ReadReference")]
    Task<IReadOnlyList<StockMovement>> ReadReference(string reference);
}

/// <summary>
/// Holds the movements of one stock item in memory, and never deactivates: it is the storage. Snapshots are
/// pointless here, since replay never leaves the process.
/// </summary>
[KeepAlive]
public sealed class MemoryStockLedgerGrain : Grain, IMemoryStockLedgerGrain
{
    private readonly List<StockMovement> _movements = [];

    public Task Append(long expectedSequence, IReadOnlyList<StockMovement> movements)
    {
        if (expectedSequence != _movements.Count)
        {
            throw new StockLedgerConflictException(this.GetPrimaryKeyString(), expectedSequence);
        }

        _movements.AddRange(movements);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<StockMovement>> Read(long afterSequence, int limit) =>
        Task.FromResult<IReadOnlyList<StockMovement>>([.. _movements.Skip((int)Math.Min(afterSequence, int.MaxValue)).Take(limit)]);

    public Task<IReadOnlyList<StockMovement>> ReadReference(string reference) =>
        Task.FromResult<IReadOnlyList<StockMovement>>([.. _movements.Where(m => m.Reference == reference)]);
}
