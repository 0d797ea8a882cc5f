using BenchmarkDotNet.Attributes;
using Oms.Benchmarks.Infrastructure;
using Oms.Contracts.Stock;

namespace Oms.Benchmarks.Grains;

public enum LedgerKind
{
    Memory,
    Postgres,
}

/// <summary>
/// Durable holds on ONE hot stock item, with group commit (<c>Oms:Stock:MaxBatchSize</c> 512, the default) and
/// without it (1: one append per command), on the in-memory ledger and on PostgreSQL.
/// </summary>
/// <remarks>
/// Every figure is per hold-and-release pair. The concurrent case sends 64 holds at once, then their 64
/// releases; the sequential case sends one pair at a time and is the control: with nothing queued behind an
/// append there is nothing to batch, so both settings should cost the same there.
/// </remarks>
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class GroupCommitBenchmarks
{
    private const int Concurrency = 64;
    private const string Sku = "BENCH-GC";

    private BenchmarkDatabase? _database;
    private BenchmarkCluster _cluster = null!;
    private IStockItemGrain _stockItem = null!;
    private long _sequence;

    [Params(LedgerKind.Memory, LedgerKind.Postgres)]
    public LedgerKind Ledger { get; set; }

    /// <summary>512 is the production default; 1 turns group commit off.</summary>
    [Params(1, 512)]
    public int MaxBatchSize { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        if (Ledger == LedgerKind.Postgres)
        {
            _database = await BenchmarkDatabase.StartAsync("oms_bench_group_commit");
        }

        _cluster = await BenchmarkCluster.StartAsync(new BenchmarkClusterSettings(_database?.ConnectionString, MaxBatchSize));
        await _cluster.SeedAsync(Sku);
        _stockItem = _cluster.StockItem(BenchmarkCluster.Locations[0].LocationId, Sku);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        Console.WriteLine($"// {Ledger} MaxBatchSize={MaxBatchSize}: {await _cluster.DescribeLedgerAsync(BenchmarkCluster.Locations[0].LocationId, Sku)}");
        await _cluster.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Benchmark(OperationsPerInvoke = Concurrency)]
    public Task ConcurrentHoldAndRelease()
    {
        // Fresh every time: a reused id would be refused as already released, timing the refusal instead.
        var ids = new string[Concurrency];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = $"gc-{++_sequence}";
        }

        return HoldWorkload.ConcurrentHoldAndRelease(_stockItem, ids);
    }

    [Benchmark]
    public Task SequentialHoldAndRelease() => HoldWorkload.HoldAndRelease(_stockItem, $"gc-{++_sequence}");
}
