using Oms.Contracts.Locations;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Locations;

[Collection("cluster")]
public sealed class LocationGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_boutique_counts_todays_ship_from_store_orders_against_its_capacity()
    {
        var id = Network.Unique("BQ");
        var boutique = fixture.Grains.GetGrain<ILocationGrain>(id);
        await boutique.Upsert(new LocationInfo(id, id, LocationType.Boutique, 48.8, 2.3, "FR", "Europe/Paris", DailyShipCapacity: 2));

        var assigned = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => boutique.TryAssignShipment($"ORDER-{i % 3}")));
        var load = await boutique.GetShipLoad();

        Assert.Equal(2, load.Assigned);
        Assert.Equal(2, load.Capacity);
        Assert.Equal(2, assigned.Select((ok, i) => (ok, order: i % 3)).Where(a => a.ok).Select(a => a.order).Distinct().Count());
        await boutique.ReleaseShipment("ORDER-0");
        await boutique.ReleaseShipment("ORDER-1");
        Assert.True(await boutique.TryAssignShipment("ORDER-2"));
    }
}
