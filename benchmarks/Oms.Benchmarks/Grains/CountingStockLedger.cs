using Microsoft.Extensions.DependencyInjection;
using Oms.Grains.Stock;

namespace Oms.Benchmarks.Grains;

/// <summary>
/// Counts what reaches the silo's ledger, so a run shows how many commands group commit really put in each
/// append instead of leaving it to inference from timings. Two interlocked adds per append cost nothing
/// next to the append itself.
/// </summary>
public sealed class CountingStockLedger(IStockLedger inner) : IStockLedger
{
    private long _appends;
    private long _movements;
    private long _snapshots;

    public long Appends => Interlocked.Read(ref _appends);
    public long Movements => Interlocked.Read(ref _movements);
    public long Snapshots => Interlocked.Read(ref _snapshots);
    public double MovementsPerAppend => Appends == 0 ? 0 : (double)Movements / Appends;

    /// <summary>Puts a counter in front of whichever ledger <c>AddOmsGrains</c> registered.</summary>
    public static void Wrap(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IStockLedger))
            ?? throw new InvalidOperationException("AddOmsGrains registered no IStockLedger.");
        var implementation = registered.ImplementationType
            ?? throw new InvalidOperationException($"The IStockLedger registration is not by type ({registered}); the counter cannot wrap it.");
        services.Remove(registered);
        services.AddSingleton(implementation);
        services.AddSingleton(sp => new CountingStockLedger((IStockLedger)sp.GetRequiredService(implementation)));
        services.AddSingleton<IStockLedger>(sp => sp.GetRequiredService<CountingStockLedger>());
    }

    public Task<StockLedgerState> Load(string key, CancellationToken cancellationToken = default) =>
        inner.Load(key, cancellationToken);

    public async Task Append(string key, long expectedSequence, IReadOnlyList<StockMovement> movements, HoldDeadline? deadline = null,
        StockSignalChange? signal = null, CancellationToken cancellationToken = default)
    {
        await inner.Append(key, expectedSequence, movements, deadline, signal, cancellationToken);
        Interlocked.Increment(ref _appends);
        Interlocked.Add(ref _movements, movements.Count);
    }

    public async Task SaveSnapshot(string key, StockPosition position, CancellationToken cancellationToken = default)
    {
        await inner.SaveSnapshot(key, position, cancellationToken);
        Interlocked.Increment(ref _snapshots);
    }

    public Task SetDeadline(string key, HoldDeadline deadline, CancellationToken cancellationToken = default) =>
        inner.SetDeadline(key, deadline, cancellationToken);

    public Task<IReadOnlyList<string>> DueItems(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) =>
        inner.DueItems(before, limit, cancellationToken);

    public Task<IReadOnlyList<StockMovement>> Read(string key, long afterSequence, int limit, CancellationToken cancellationToken = default) =>
        inner.Read(key, afterSequence, limit, cancellationToken);

    public Task<IReadOnlyList<StockMovement>> ReadReference(string key, string reference, CancellationToken cancellationToken = default) =>
        inner.ReadReference(key, reference, cancellationToken);
}
