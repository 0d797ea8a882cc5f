namespace Oms.Grains.Stock;

/// <summary>The embedded default's ledger: same contract as PostgreSQL, kept in a grain per stock item so every
/// silo of an in-memory cluster sees the same ledger wherever the stock item activates.</summary>
public sealed class MemoryStockLedger(IGrainFactory grains) : IStockLedger
{
    public async Task<StockLedgerState> Load(string key, CancellationToken cancellationToken = default)
    {
        var ledger = grains.GetGrain<IMemoryStockLedgerGrain>(key);
        var movements = await ledger.Read(0, int.MaxValue);

        // An empty ledger has just been told to go (a probe of a SKU never stocked); asking it more would keep it.
        return new(null, movements, movements.Count > 0 ? await ledger.Signal() : null);
    }

    /// <remarks>
    /// The signal's events are not kept here: in memory the stock item hands them to the feed straight after,
    /// and a silo that dies in between takes this ledger's cluster memory with it anyway.
    /// </remarks>
    public async Task Append(string key, long expectedSequence, IReadOnlyList<StockMovement> movements, HoldDeadline? deadline = null,
        StockSignalChange? signal = null, CancellationToken cancellationToken = default)
    {
        await grains.GetGrain<IMemoryStockLedgerGrain>(key).Append(expectedSequence, movements, signal?.State);
        if (deadline is { } change)
        {
            await SetDeadline(key, change, cancellationToken);
        }
    }

    public Task SetDeadline(string key, HoldDeadline deadline, CancellationToken cancellationToken = default) =>
        Deadlines.Set(key, deadline.Due);

    public Task<IReadOnlyList<string>> DueItems(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) =>
        Deadlines.Due(before, limit);

    private IMemoryHoldDeadlinesGrain Deadlines => grains.GetGrain<IMemoryHoldDeadlinesGrain>(0);

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
    Task Append(long expectedSequence, IReadOnlyList<StockMovement> movements, StockSignalState? signal = null);

    [Alias("Signal")]
    Task<StockSignalState?> Signal();

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
    private StockSignalState? _signal;

    public Task Append(long expectedSequence, IReadOnlyList<StockMovement> movements, StockSignalState? signal = null)
    {
        if (expectedSequence != _movements.Count)
        {
            throw new StockLedgerConflictException(this.GetPrimaryKeyString(), expectedSequence);
        }

        _movements.AddRange(movements);
        _signal = signal ?? _signal;
        return Task.CompletedTask;
    }

    public Task<StockSignalState?> Signal() => Task.FromResult(_signal);

    public Task<IReadOnlyList<StockMovement>> Read(long afterSequence, int limit)
    {
        if (_movements.Count == 0)
        {
            // A read of an item never stocked holds nothing worth keeping: without this, every probe of a random
            // SKU would leave a keep-alive grain behind for good.
            DeactivateOnIdle();
        }

        return Task.FromResult<IReadOnlyList<StockMovement>>([.. _movements.Skip((int)Math.Min(afterSequence, int.MaxValue)).Take(limit)]);
    }

    public Task<IReadOnlyList<StockMovement>> ReadReference(string reference) =>
        Task.FromResult<IReadOnlyList<StockMovement>>([.. _movements.Where(m => m.Reference == reference)]);
}

[Alias("oms.IMemoryHoldDeadlinesGrain")]
public interface IMemoryHoldDeadlinesGrain : IGrainWithIntegerKey
{
    [Alias("Set")]
    Task Set(string key, DateTimeOffset? due);

    [Alias("Due")]
    Task<IReadOnlyList<string>> Due(DateTimeOffset before, int limit);
}

/// <summary>The in-memory twin of <c>oms_hold_deadline</c>: one per cluster, so every silo's sweep sees every item.</summary>
[KeepAlive]
public sealed class MemoryHoldDeadlinesGrain : Grain, IMemoryHoldDeadlinesGrain
{
    private readonly Dictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);

    public Task Set(string key, DateTimeOffset? due)
    {
        if (due is { } at)
        {
            _due[key] = at;
        }
        else
        {
            _due.Remove(key);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> Due(DateTimeOffset before, int limit) =>
        Task.FromResult<IReadOnlyList<string>>([.. _due.Where(d => d.Value <= before).OrderBy(d => d.Value).Take(limit).Select(d => d.Key)]);
}
