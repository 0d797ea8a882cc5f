using BenchmarkDotNet.Attributes;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;

namespace Oms.Benchmarks.Grains;

/// <summary>"Pick it up near me" over a network of 300 boutiques around Paris, a third of them stocking the SKU.</summary>
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class PickupOptionsBenchmarks
{
    private const string Sku = "BENCH-CNC";

    private BenchmarkCluster _cluster = null!;
    private INetworkGrain _network = null!;
    private PickupQuery _query = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _cluster = await BenchmarkCluster.StartAsync();
        var random = new Random(300);
        for (var i = 0; i < 300; i++)
        {
            var id = $"bench-cnc-{i:000}";
            await _cluster.Grains.GetGrain<ILocationGrain>(id).Upsert(new LocationInfo(
                id, id, LocationType.Boutique, 48.86 + random.NextDouble() - 0.5, 2.35 + random.NextDouble() - 0.5, "FR", "Europe/Paris"));
            if (i % 3 == 0)
            {
                await _cluster.StockItem(id, Sku).ApplySnapshot(1, 5, 0);
            }
        }

        _network = _cluster.Grains.GetGrain<INetworkGrain>(0);
        _query = new PickupQuery([new PickupLine(Sku, 1)], 48.8566, 2.3522, 50, 10);

        // Wait until the views and the network grain's profile copy have caught up with the setup.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await _network.PickupOptions(_query)).Count(o => o.Pickup != PickupKind.Transfer) < 10)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The boutiques never showed up in the pickup options.");
            }

            await Task.Delay(100);
        }
    }

    [GlobalCleanup]
    public Task Cleanup() => _cluster.DisposeAsync().AsTask();

    [Benchmark]
    public Task<IReadOnlyList<PickupOption>> NearMeOptions() => _network.PickupOptions(_query);
}
