using Oms.Contracts.Locations;

namespace Oms.Api.Demo;

/// <summary>A small but realistic luxury network: three regional warehouses and boutiques in real cities.</summary>
public static class DemoNetwork
{
    public static readonly IReadOnlyList<LocationInfo> Locations =
    [
        new("WH-EU-PARIS", "Europe DC Roissy", LocationType.Warehouse, 49.0097, 2.5479, "FR", "Europe/Paris"),
        new("WH-US-NJ", "Americas DC Secaucus", LocationType.Warehouse, 40.7895, -74.0565, "US", "America/New_York"),
        new("WH-AP-HK", "Asia-Pacific DC Tsing Yi", LocationType.Warehouse, 22.3583, 114.1036, "HK", "Asia/Hong_Kong"),
        new("BQ-PARIS-1", "Boutique Paris Saint-Honoré", LocationType.Boutique, 48.8686, 2.3247, "FR", "Europe/Paris"),
        new("BQ-PARIS-2", "Boutique Paris Montaigne", LocationType.Boutique, 48.8663, 2.3045, "FR", "Europe/Paris"),
        new("BQ-LONDON-1", "Boutique London New Bond Street", LocationType.Boutique, 51.5129, -0.1466, "GB", "Europe/London"),
        new("BQ-MILAN-1", "Boutique Milano Via Montenapoleone", LocationType.Boutique, 45.4685, 9.1950, "IT", "Europe/Rome"),
        new("BQ-MUNICH-1", "Boutique München Maximilianstraße", LocationType.Boutique, 48.1394, 11.5838, "DE", "Europe/Berlin"),
        new("BQ-GENEVA-1", "Boutique Genève Rue du Rhône", LocationType.Boutique, 46.2036, 6.1480, "CH", "Europe/Zurich"),
        new("BQ-MADRID-1", "Boutique Madrid Calle de Serrano", LocationType.Boutique, 40.4262, -3.6874, "ES", "Europe/Madrid"),
        new("BQ-DUBAI-1", "Boutique Dubai Mall", LocationType.Boutique, 25.1972, 55.2796, "AE", "Asia/Dubai"),
        new("BQ-NYC-1", "Boutique New York Fifth Avenue", LocationType.Boutique, 40.7624, -73.9738, "US", "America/New_York"),
        new("BQ-LA-1", "Boutique Beverly Hills Rodeo Drive", LocationType.Boutique, 34.0696, -118.4053, "US", "America/Los_Angeles"),
        new("BQ-TOKYO-1", "Boutique Tokyo Ginza", LocationType.Boutique, 35.6717, 139.7650, "JP", "Asia/Tokyo"),
        new("BQ-SEOUL-1", "Boutique Seoul Cheongdam", LocationType.Boutique, 37.5251, 127.0470, "KR", "Asia/Seoul"),
        new("BQ-HK-1", "Boutique Hong Kong Canton Road", LocationType.Boutique, 22.2976, 114.1689, "HK", "Asia/Hong_Kong"),
        new("BQ-SHANGHAI-1", "Boutique Shanghai Plaza 66", LocationType.Boutique, 31.2304, 121.4491, "CN", "Asia/Shanghai"),
        new("BQ-SYDNEY-1", "Boutique Sydney Castlereagh Street", LocationType.Boutique, -33.8688, 151.2093, "AU", "Australia/Sydney"),
    ];

    private static readonly (string Prefix, int Count)[] Families =
    [
        ("BAG", 80), ("SLG", 50), ("SCARF", 40), ("SHOE", 60), ("RTW", 50), ("JEWEL", 20),
    ];

    /// <summary>300 SKUs such as BAG-001 or SHOE-042.</summary>
    public static IEnumerable<string> Skus() =>
        Families.SelectMany(f => Enumerable.Range(1, f.Count).Select(i => $"{f.Prefix}-{i:000}"));

    /// <summary>
    /// Warehouses hold depth on most SKUs; each boutique carries a third of the range in ones and twos,
    /// which is what makes sourcing and click-and-collect interesting. Deterministic, so the README's
    /// examples always find stock.
    /// </summary>
    public static IEnumerable<(string LocationId, string Sku, int OnHand, int SafetyStock)> Stock()
    {
        var random = new Random(20261126);
        foreach (var location in Locations)
        {
            foreach (var sku in Skus())
            {
                if (location.Type == LocationType.Warehouse)
                {
                    if (random.NextDouble() < 0.9)
                    {
                        yield return (location.LocationId, sku, random.Next(5, 120), 2);
                    }
                }
                else if (sku is "BAG-001" || random.NextDouble() < 0.33)
                {
                    yield return (location.LocationId, sku, random.Next(1, 4), 0);
                }
            }
        }
    }
}
