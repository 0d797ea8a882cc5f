using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.ClickAndCollect;

[Collection("cluster")]
public sealed class NetworkGrainTests(ClusterFixture fixture)
{
    private static readonly string[] SweptTables =
        ["IMemoryHoldDeadlinesGrain.", "IMemoryReservationDeadlinesGrain.", "IMemoryWatchTableGrain."];

    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task With_300_boutiques_an_options_call_is_answered_from_memory_without_fanning_out()
    {
        var sku = Network.Unique("SKU");
        var random = new Random(300);
        var (lat, lon) = (-20.5, 60.5); // open ocean: no other test's boutiques nearby
        var boutiques = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var id = Network.Unique("BQ");
            boutiques.Add(id);
            await _grains.GetGrain<ILocationGrain>(id).Upsert(new LocationInfo(
                id, id, LocationType.Boutique, lat + random.NextDouble() - 0.5, lon + random.NextDouble() - 0.5, "MU", "Indian/Mauritius"));
        }

        await Task.WhenAll(boutiques.Where((_, i) => i % 3 == 0).Select(b => Network.Stock(_grains, b, sku, 2)));
        var query = new PickupQuery([new PickupLine(sku, 1)], lat, lon, 500, 50);
        var network = _grains.GetGrain<INetworkGrain>(0);
        await Eventually.Until(() => network.PickupOptions(query), o => o.Count == 50 && o.All(x => x.Pickup != PickupKind.Transfer),
            TimeSpan.FromSeconds(10), "100 stocked boutiques visible, the nearest 50 offered");
        // Let the one-way reports and lazy view writes of the setup settle, so only the lookup is counted.
        await Task.Delay(TimeSpan.FromSeconds(2));

        var before = fixture.Cluster.CountCalls();
        var options = await network.PickupOptions(query);
        var after = fixture.Cluster.CountCalls();

        // The silos' once-a-second sweeps (hold and reservation expiry, grain watches) poll the in-memory stand-ins
        // of their tables: background work, not part of the lookup.
        var calls = after.ToDictionary(kv => kv.Key, kv => kv.Value - before.GetValueOrDefault(kv.Key))
            .Where(kv => kv.Value > 0 && !SweptTables.Any(t => kv.Key.StartsWith(t, StringComparison.Ordinal))).ToDictionary();
        Assert.Equal(50, options.Count);
        Assert.Equal(1, calls.GetValueOrDefault("INetworkGrain.PickupOptions"));
        Assert.Equal(1, calls.GetValueOrDefault("ISkuAvailabilityGrain.Get"));
        Assert.DoesNotContain(calls.Keys, k => k.StartsWith("ILocationGrain.", StringComparison.Ordinal) || k.StartsWith("IStockItemGrain.", StringComparison.Ordinal));
        // At most one refresh of the profile and carrier directories, which is amortised over every call in its period.
        Assert.True(calls.Values.Sum() <= 4, string.Join(", ", calls.Select(kv => $"{kv.Key}={kv.Value}")));
    }

    [Fact]
    public async Task The_online_view_deducts_the_buffer_and_excludes_paused_locations_while_the_store_view_does_not()
    {
        var sku = Network.Unique("SKU");
        var buffered = Network.Unique("BQ");
        var paused = Network.Unique("BQ");
        await _grains.GetGrain<ILocationGrain>(buffered).Upsert(new LocationInfo(buffered, "B", LocationType.Boutique, 10, 10, null, null,
            OnlineSafetyStock: new OnlineSafetyStock(1, new Dictionary<string, int> { [sku] = 3 })));
        await _grains.GetGrain<ILocationGrain>(paused).Upsert(new LocationInfo(paused, "P", LocationType.Boutique, 10, 10, null, null, Status: LocationStatus.Paused));
        await Network.Stock(_grains, buffered, sku, 5);
        await Network.Stock(_grains, paused, sku, 4);
        var network = _grains.GetGrain<INetworkGrain>(0);

        // Both items report one-way; the online figure alone is reached before the paused boutique's report lands.
        var store = await Eventually.Until(() => network.GetAvailability(sku, AvailabilityView.Store), v => v.Available == 9, TimeSpan.FromSeconds(5), "both boutiques reported");
        var online = await Eventually.Until(() => network.GetAvailability(sku, AvailabilityView.Online), v => v.Available == 2, TimeSpan.FromSeconds(5), "5 less a buffer of 3");

        Assert.Equal([buffered], online.Locations.Select(l => l.LocationId));
        Assert.Equal(9, store.Available);
    }
}
