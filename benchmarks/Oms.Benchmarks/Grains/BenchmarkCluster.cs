using System.Collections.Immutable;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Oms.Contracts;
using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;
using Oms.Grains;
using Oms.Grains.Hosting;
using Oms.Grains.Stock;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Oms.Benchmarks.Grains;

/// <summary>
/// A one-silo in-process cluster wired by <see cref="OmsHosting.AddOmsGrains"/> with an empty configuration,
/// so storage and reminders are the in-memory providers: the grain figures exclude any database round trip.
/// </summary>
public sealed class BenchmarkCluster : IAsyncDisposable
{
    /// <summary>Far more than any run can hold at once, so a hold is never refused for lack of stock.</summary>
    public const int OnHand = 1_000_000;

    public static readonly ImmutableArray<LocationInfo> Locations =
    [
        new("bench-wh-1", "Benchmark warehouse 1", LocationType.Warehouse, 48.85, 2.35, "FR", "Europe/Paris"),
        new("bench-wh-2", "Benchmark warehouse 2", LocationType.Warehouse, 51.51, -0.13, "GB", "Europe/London"),
        new("bench-bq-1", "Benchmark boutique 1", LocationType.Boutique, 45.46, 9.19, "IT", "Europe/Rome"),
    ];

    private readonly InProcessTestCluster _cluster;

    private BenchmarkCluster(InProcessTestCluster cluster) => _cluster = cluster;

    public IGrainFactory Grains => _cluster.Client;

    public static async Task<BenchmarkCluster> StartAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddOmsGrains(new ConfigurationBuilder().Build()));
        var cluster = builder.Build();
        await cluster.DeployAsync();

        var started = new BenchmarkCluster(cluster);
        foreach (var location in Locations)
        {
            await started.Grains.GetGrain<ILocationGrain>(location.LocationId).Upsert(location);
        }

        return started;
    }

    /// <summary>Puts <see cref="OnHand"/> units of the SKU at every benchmark location.</summary>
    public async Task SeedAsync(string sku)
    {
        foreach (var location in Locations)
        {
            var result = await StockItem(location.LocationId, sku).ApplySnapshot(1, OnHand, 0);
            if (result.Outcome != StockOutcome.Applied)
            {
                throw new InvalidOperationException($"Seeding {sku} at {location.LocationId} returned {result.Outcome}: {result.Reason}");
            }
        }
    }

    /// <summary>
    /// The stock items report to the availability grain one-way, so a read straight after seeding could
    /// still see an empty view; measuring that would time the wrong thing.
    /// </summary>
    public async Task WaitForAvailabilityAsync(string sku)
    {
        var grain = Grains.GetGrain<ISkuAvailabilityGrain>(sku);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var view = await grain.Get();
            if (view.Locations.Count == Locations.Length && view.Locations.All(l => l.Available == OnHand))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Availability of {sku} never showed every location: {view.Available} over {view.Locations.Count}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>
    /// The stock item's position as its ledger replays it: how many holds are open and how many released ids
    /// are remembered at the end of a run, printed with the results.
    /// </summary>
    public async Task<string> DescribeStoredPositionAsync(string locationId, string sku)
    {
        var key = Ids.StockItemKey(locationId, sku);
        var ledger = _cluster.Silos[0].ServiceProvider.GetRequiredService<IStockLedger>();
        var state = await ledger.Load(key);
        var position = StockPosition.Replay(state.Tail, state.Snapshot);
        return $"{key} has {position.OpenHolds} open holds and {position.ReleasedHolds?.Count ?? 0} remembered released ids after {position.Sequence} movements";
    }

    public IStockItemGrain StockItem(string locationId, string sku) =>
        Grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(locationId, sku));

    public async ValueTask DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }
}
