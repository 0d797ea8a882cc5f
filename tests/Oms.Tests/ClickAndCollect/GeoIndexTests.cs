using Oms.Grains.ClickAndCollect;

namespace Oms.Tests.ClickAndCollect;

public sealed class GeoIndexTests
{
    [Theory]
    [InlineData(48.8566, 2.3522, 51.5074, -0.1278, 343.5)]   // Paris – London
    [InlineData(40.7128, -74.0060, 34.0522, -118.2437, 3935.7)] // New York – Los Angeles
    [InlineData(-17.7, 179.9, -17.7, -179.9, 21.2)]           // across the antimeridian
    public void Distances_are_great_circle(double lat1, double lon1, double lat2, double lon2, double km)
    {
        Assert.Equal(km, Geo.DistanceKm(lat1, lon1, lat2, lon2), precision: 0);
    }

    [Fact]
    public void A_radius_search_returns_what_is_inside_nearest_first()
    {
        var index = new GeoIndex<string>([
            (48.8686, 2.3247, "saint-honore"),
            (48.8663, 2.3045, "montaigne"),
            (49.0097, 2.5479, "roissy"),
            (51.5129, -0.1466, "london"),
            (45.4685, 9.1950, "milan"),
        ]);

        var found = index.Within(48.8600, 2.3400, 30);

        Assert.Equal(["saint-honore", "montaigne", "roissy"], found.Select(f => f.Item));
        Assert.True(found[0].DistanceKm < found[1].DistanceKm);
        Assert.Equal(["saint-honore", "montaigne", "roissy", "london"], index.Within(48.86, 2.34, 400).Select(f => f.Item));
    }

    [Fact]
    public void The_index_sees_across_the_antimeridian_and_near_the_poles()
    {
        var index = new GeoIndex<string>([(-17.7, 179.95, "east"), (-17.7, -179.95, "west"), (89.9, 10, "pole")]);

        Assert.Equal(["east", "west"], index.Within(-17.7, 179.99, 50).Select(f => f.Item).Order());
        Assert.Equal(["pole"], index.Within(89.95, -170, 50).Select(f => f.Item));
    }
}
