using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using System.Collections.Immutable;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Oms.Contracts;
using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;
using Oms.Grains.Hosting;
using Oms.Grains.Stock;
using Orleans.TestingHost;

namespace Oms.Benchmarks.Grains;

/// <summary>How a benchmark cluster stores its ledger and batches its appends.</summary>
/// <param name="ConnectionString">PostgreSQL for grain state, reminders and the ledger; null keeps all of it in memory.</param>
/// <param name="MaxBatchSize">Overrides <c>Oms:Stock:MaxBatchSize</c>; null keeps the production default.</param>
/// <param name="Settings">Any other configuration the silo should run with.</param>
public sealed record BenchmarkClusterSettings(string? ConnectionString = null, int? MaxBatchSize = null, IReadOnlyDictionary<string, string?>? Settings = null);

/// <summary>
/// A one-silo in-process cluster wired by <see cref="OmsHosting.AddOmsGrains"/>, exactly as production wires a
/// silo from configuration. With no connection string, storage, reminders and the stock ledger are in memory,
/// so the grain figures exclude any database round trip.
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

    /// <summary>For an API hosted in front of this cluster (Http/), as the tests' ApiFixture hands it over.</summary>
    public IClusterClient Client => _cluster.Client;

    /// <summary>Appends and movements the silo's ledger has seen: how well group commit actually batched.</summary>
    public CountingStockLedger Ledger => _cluster.Silos[0].ServiceProvider.GetRequiredService<CountingStockLedger>();

    public static Task<BenchmarkCluster> StartAsync() => StartAsync(new BenchmarkClusterSettings());

    public static async Task<BenchmarkCluster> StartAsync(BenchmarkClusterSettings settings)
    {
        var values = new Dictionary<string, string?>(settings.Settings ?? new Dictionary<string, string?>());
        if (settings.ConnectionString is not null)
        {
            values["ConnectionStrings:Oms"] = settings.ConnectionString;
        }

        if (settings.MaxBatchSize is { } maxBatchSize)
        {
            values["Oms:Stock:MaxBatchSize"] = maxBatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddOmsGrains(configuration);
            CountingStockLedger.Wrap(silo.Services);
        });
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
    /// Stocks <paramref name="skus"/> everywhere and waits until checkout can see them on every silo.
    /// </summary>
    /// <returns>A ship-to-home order of one unit of each SKU, the checkout the grain benchmarks time.</returns>
    public async Task<PlaceOrder> SeedCheckoutAsync(IReadOnlyList<string> skus)
    {
        foreach (var sku in skus)
        {
            await SeedAsync(sku);
            await WaitForAvailabilityAsync(sku);
        }

        // The network grain refreshes its profiles every two seconds; the first checkout must see all of them.
        await Grains.GetGrain<INetworkGrain>(0).GetAvailability(skus[0], AvailabilityView.Online);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        return new PlaceOrder(
            OrderChannel.Web, new Customer("bench-customer", null, null),
            [.. skus.Select((sku, i) => new OrderLine($"{i + 1}", sku, 1, 100m, "EUR"))],
            new Delivery(DeliveryMethod.ShipToHome, new DeliveryAddress("1 Main St", "Paris", "75001", "FR", 48.86, 2.34), null),
            null);
    }

    /// <summary>
    /// What the stock item's ledger holds at the end of a run, replayed through the silo's own ledger: the
    /// remembered released ids are pruned on every commit and ride along in every snapshot, so their count
    /// explains part of the write cost.
    /// </summary>
    public async Task<string> DescribeLedgerAsync(string locationId, string sku)
    {
        var key = Ids.StockItemKey(locationId, sku);
        var ledger = _cluster.Silos[0].ServiceProvider.GetRequiredService<IStockLedger>();
        var state = await ledger.Load(key);
        var position = StockPosition.Replay(state.Tail, state.Snapshot);

        // Replay restores every released id since the snapshot (the in-memory ledger takes none), while the live
        // item prunes on each commit; pruning at the last movement's time gives what the item carried at the end.
        var options = _cluster.Silos[0].ServiceProvider.GetRequiredService<IOptions<StockOptions>>().Value;
        position.Prune(state.Tail.Count > 0 ? state.Tail[^1].At : DateTimeOffset.UtcNow, options.IdempotencyWindow);
        var counts = Ledger;
        return $"{key}: {position.Sequence} movements, {position.OpenHolds} open holds, " +
            $"{position.ReleasedHolds?.Count ?? 0} remembered released ids; silo ledger saw {counts.Appends} appends of " +
            $"{counts.Movements} movements ({counts.MovementsPerAppend:0.0} per append) and {counts.Snapshots} snapshots";
    }

    /// <summary>
    /// Places <paramref name="order"/> under a fresh id, with a customer of its own: the same id would be a replay,
    /// answered without sourcing or allocating, and the customer grain writes its whole order list on every checkout,
    /// so one customer for thousands of orders would time that list's growth instead (seen in a first run).
    /// </summary>
    /// <returns>The order's fulfilment grain and its first fulfilment, for the benchmarks that report on it.</returns>
    public async Task<(IFulfilmentGrain Grain, string FulfilmentId)> PlaceFreshAsync(PlaceOrder order, string orderId)
    {
        var result = await Grains.GetGrain<IOrderGrain>(orderId).Place(order with { Customer = new Customer($"c-{orderId}", null, null) });
        if (result.Outcome != PlaceOrderOutcome.Created || result.Order is not { Fulfilments: [var first, ..] })
        {
            throw new InvalidOperationException($"Checkout was {result.Outcome}: {result.Message}");
        }

        return (Grains.GetGrain<IFulfilmentGrain>(orderId), first.FulfilmentId);
    }

    /// <summary>A report that did not apply stops the run rather than being timed.</summary>
    public static async Task ExpectApplied(Task<FulfilmentReportResult> report)
    {
        var result = await report;
        if (result.Outcome != FulfilmentReportOutcome.Applied)
        {
            throw new InvalidOperationException($"A report was {result.Outcome}: {result.Message}");
        }
    }

    public IStockItemGrain StockItem(string locationId, string sku) =>
        Grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(locationId, sku));

    public async ValueTask DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }
}
