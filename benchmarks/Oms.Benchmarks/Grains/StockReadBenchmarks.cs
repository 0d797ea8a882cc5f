using BenchmarkDotNet.Attributes;
using Oms.Contracts.Availability;
using Oms.Contracts.Stock;

namespace Oms.Benchmarks.Grains;

/// <summary>The two storefront reads: the network view of a SKU, and the exact position at one location.</summary>
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class StockReadBenchmarks
{
    private const string Sku = "BENCH-READ";

    private BenchmarkCluster _cluster = null!;
    private ISkuAvailabilityGrain _availability = null!;
    private IStockItemGrain _stockItem = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _cluster = await BenchmarkCluster.StartAsync();
        await _cluster.SeedAsync(Sku);
        await _cluster.WaitForAvailabilityAsync(Sku);
        _availability = _cluster.Grains.GetGrain<ISkuAvailabilityGrain>(Sku);
        _stockItem = _cluster.StockItem(BenchmarkCluster.Locations[0].LocationId, Sku);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _cluster.DisposeAsync();

    [Benchmark]
    public Task<SkuAvailability> AvailabilityRead() => _availability.Get();

    [Benchmark]
    public Task<StockLevel> ExactStockRead() => _stockItem.GetLevel();
}
