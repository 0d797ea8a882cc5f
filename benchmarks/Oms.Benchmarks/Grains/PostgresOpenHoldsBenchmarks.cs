using BenchmarkDotNet.Attributes;
using Oms.Benchmarks.Infrastructure;
using Oms.Contracts.Stock;

namespace Oms.Benchmarks.Grains;

/// <summary>
/// A hold and release on PostgreSQL with 5,000 other holds open on the same item, against none: the ledger
/// appends only the new movement, so the target is that the busy item costs within 1.5x of the quiet one.
/// </summary>
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class PostgresOpenHoldsBenchmarks
{
    private const int Concurrency = 64;
    private const string Sku = "BENCH-OPEN";

    private BenchmarkDatabase _database = null!;
    private BenchmarkCluster _cluster = null!;
    private IStockItemGrain _stockItem = null!;
    private long _sequence;

    /// <summary>Other checkouts' holds already open on the item, with a TTL that outlives the run.</summary>
    [Params(0, 5_000)]
    public int OpenHolds { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _database = await BenchmarkDatabase.StartAsync("oms_bench_open_holds");
        _cluster = await BenchmarkCluster.StartAsync(new BenchmarkClusterSettings(_database.ConnectionString));
        await _cluster.SeedAsync(Sku);
        _stockItem = _cluster.StockItem(BenchmarkCluster.Locations[0].LocationId, Sku);

        // Placed in parallel so group commit makes the setup seconds, not minutes of one-by-one appends.
        await HoldWorkload.OpenHolds(_stockItem, OpenHolds, inFlight: 500);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        Console.WriteLine($"// OpenHolds={OpenHolds}: {await _cluster.DescribeLedgerAsync(BenchmarkCluster.Locations[0].LocationId, Sku)}");
        await _cluster.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Benchmark]
    public Task HoldAndRelease() => HoldWorkload.HoldAndRelease(_stockItem, $"open-bench-{++_sequence}");

    [Benchmark(OperationsPerInvoke = Concurrency)]
    public Task ConcurrentHoldAndRelease()
    {
        var ids = new string[Concurrency];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = $"open-bench-{++_sequence}";
        }

        return HoldWorkload.ConcurrentHoldAndRelease(_stockItem, ids);
    }
}
