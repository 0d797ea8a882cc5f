using Oms.Contracts.Locations;
using Oms.Contracts.Promise;

namespace Oms.Api.Demo;

/// <summary>A small but realistic luxury network: three regional warehouses and boutiques in real cities.</summary>
public static class DemoNetwork
{
    public static readonly IReadOnlyList<LocationInfo> Locations =
    [
        Warehouse("WH-EU-PARIS", "Europe DC Roissy", 49.0097, 2.5479, "FR", "Europe/Paris", "Rue de la Belle Étoile", "Roissy-en-France", "95700"),
        Warehouse("WH-US-NJ", "Americas DC Secaucus", 40.7895, -74.0565, "US", "America/New_York", "600 Meadowlands Pkwy", "Secaucus", "07094"),
        Warehouse("WH-AP-HK", "Asia-Pacific DC Tsing Yi", 22.3583, 114.1036, "HK", "Asia/Hong_Kong", "Tsing Yi Road", "Hong Kong", null),
        Boutique("BQ-PARIS-1", "Boutique Paris Saint-Honoré", 48.8686, 2.3247, "FR", "Europe/Paris", "12 rue du Faubourg Saint-Honoré", "Paris", "75008", Europe, Christmas),
        Boutique("BQ-PARIS-2", "Boutique Paris Montaigne", 48.8663, 2.3045, "FR", "Europe/Paris", "30 avenue Montaigne", "Paris", "75008", Europe, Christmas),
        Boutique("BQ-LONDON-1", "Boutique London New Bond Street", 51.5129, -0.1466, "GB", "Europe/London", "150 New Bond Street", "London", "W1S 2TU", Europe, Christmas),
        Boutique("BQ-MILAN-1", "Boutique Milano Via Montenapoleone", 45.4685, 9.1950, "IT", "Europe/Rome", "Via Montenapoleone 2", "Milano", "20121", Europe, Christmas),
        Boutique("BQ-MUNICH-1", "Boutique München Maximilianstraße", 48.1394, 11.5838, "DE", "Europe/Berlin", "Maximilianstraße 12", "München", "80539", Europe, Christmas),
        Boutique("BQ-GENEVA-1", "Boutique Genève Rue du Rhône", 46.2036, 6.1480, "CH", "Europe/Zurich", "Rue du Rhône 40", "Genève", "1204", Europe, Christmas),
        Boutique("BQ-MADRID-1", "Boutique Madrid Calle de Serrano", 40.4262, -3.6874, "ES", "Europe/Madrid", "Calle de Serrano 54", "Madrid", "28001", Europe, Christmas),
        Boutique("BQ-DUBAI-1", "Boutique Dubai Mall", 25.1972, 55.2796, "AE", "Asia/Dubai", "The Dubai Mall, Fashion Avenue", "Dubai", null, EveryDay(10, 23), []),
        Boutique("BQ-NYC-1", "Boutique New York Fifth Avenue", 40.7624, -73.9738, "US", "America/New_York", "725 Fifth Avenue", "New York", "10022", America, Christmas),
        Boutique("BQ-LA-1", "Boutique Beverly Hills Rodeo Drive", 34.0696, -118.4053, "US", "America/Los_Angeles", "295 N Rodeo Drive", "Beverly Hills", "90210", America, Christmas),
        Boutique("BQ-TOKYO-1", "Boutique Tokyo Ginza", 35.6717, 139.7650, "JP", "Asia/Tokyo", "4-6-16 Ginza, Chuo-ku", "Tokyo", "104-0061", EveryDay(11, 20), NewYear),
        Boutique("BQ-SEOUL-1", "Boutique Seoul Cheongdam", 37.5251, 127.0470, "KR", "Asia/Seoul", "Apgujeong-ro 412", "Seoul", "06015", EveryDay(11, 20), NewYear),
        Boutique("BQ-HK-1", "Boutique Hong Kong Canton Road", 22.2976, 114.1689, "HK", "Asia/Hong_Kong", "17 Canton Road, Tsim Sha Tsui", "Hong Kong", null, EveryDay(10, 21), []),
        Boutique("BQ-SHANGHAI-1", "Boutique Shanghai Plaza 66", 31.2304, 121.4491, "CN", "Asia/Shanghai", "1266 West Nanjing Road", "Shanghai", "200040", EveryDay(10, 22), []),
        Boutique("BQ-SYDNEY-1", "Boutique Sydney Castlereagh Street", -33.8688, 151.2093, "AU", "Australia/Sydney", "70 Castlereagh Street", "Sydney", "2000", America, Christmas),
    ];

    private static readonly DayOfWeek[] Weekdays = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];

    private static readonly DayOfWeek[] MondayToSaturday = [.. Weekdays, DayOfWeek.Saturday];

    /// <summary>Christmas and New Year's Day where the network ships; the carriers neither collect nor deliver there.</summary>
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<DateOnly>> Holidays =
        new[] { "FR", "GB", "DE", "IT", "ES", "CH", "US" }.ToDictionary(c => c, _ => (IReadOnlyList<DateOnly>)[new(2026, 12, 25), new(2027, 1, 1)]);

    /// <summary>
    /// An express and a standard parcel network, an American express service, and a Paris courier that delivers the
    /// same day within 30 km and nowhere else: enough for the promise to choose between real trade-offs.
    /// </summary>
    public static readonly IReadOnlyList<CarrierInfo> Carriers =
    [
        new("DHL", "DHL",
        [
            new CarrierService("express", 3, new Dictionary<string, int> { ["FR"] = 1, ["DE"] = 1, ["GB"] = 1, ["IT"] = 2, ["ES"] = 2, ["CH"] = 2 }, Weekdays, Weekdays, DeliveryWindowDays: 0),
            new CarrierService("standard", 6, new Dictionary<string, int> { ["FR"] = 2, ["DE"] = 3, ["GB"] = 3, ["IT"] = 3, ["ES"] = 3, ["CH"] = 4 }, MondayToSaturday, Weekdays),
        ], Holidays),
        new("UPS", "UPS",
        [
            new CarrierService("express", 3, new Dictionary<string, int> { ["US"] = 1 }, Weekdays, Weekdays, DeliveryWindowDays: 0),
        ], Holidays),
        new("COURSIER", "Coursier Paris",
        [
            new CarrierService("sameDay", null, new Dictionary<string, int>(), MondayToSaturday, MondayToSaturday, [new DistanceBand(30, 0)], DeliveryWindowDays: 0),
        ], Holidays),
    ];

    /// <summary>Monday to Saturday 10:00–19:00, closed on Sunday: the European high street.</summary>
    private static IReadOnlyList<DayHours> Europe => Days(10, 19, sunday: null);

    /// <summary>Monday to Saturday 10:00–19:00, Sunday 12:00–18:00.</summary>
    private static IReadOnlyList<DayHours> America => Days(10, 19, sunday: (12, 18));

    private static IReadOnlyList<OpeningException> Christmas =>
        [new(new DateOnly(2026, 12, 25), true, null), new(new DateOnly(2026, 12, 24), false, [new TimeRange(10 * 60, 16 * 60)])];

    private static IReadOnlyList<OpeningException> NewYear => [new(new DateOnly(2027, 1, 1), true, null)];

    private static IReadOnlyList<DayHours> EveryDay(int open, int close) =>
        [.. Enum.GetValues<DayOfWeek>().Select(d => new DayHours(d, [new TimeRange(open * 60, close * 60)]))];

    private static IReadOnlyList<DayHours> Days(int open, int close, (int Open, int Close)? sunday) =>
        [.. Enum.GetValues<DayOfWeek>().Select(d => new DayHours(d, d != DayOfWeek.Sunday
            ? [new TimeRange(open * 60, close * 60)]
            : sunday is { } s ? [new TimeRange(s.Open * 60, s.Close * 60)] : []))];

    private static LocationInfo Warehouse(string id, string name, double lat, double lon, string country, string zone, string line1, string city, string? postalCode) =>
        new(id, name, LocationType.Warehouse, lat, lon, country, zone, new Address(line1, null, city, postalCode, null),
            [LocationCapability.ShipToCustomer], Priority: 10, OrderCutoffMinute: 15 * 60);

    /// <summary>Every boutique keeps one unit of each SKU for walk-ins, two of the iconic bag.</summary>
    private static LocationInfo Boutique(string id, string name, double lat, double lon, string country, string zone, string line1, string city,
        string? postalCode, IReadOnlyList<DayHours> hours, IReadOnlyList<OpeningException> exceptions) =>
        new(id, name, LocationType.Boutique, lat, lon, country, zone, new Address(line1, null, city, postalCode, null),
            Capabilities: null, Priority: 5, DailyShipCapacity: 20, PickupPreparationMinutes: 30,
            OpeningHours: hours, OpeningExceptions: exceptions,
            OnlineSafetyStock: new OnlineSafetyStock(1, new Dictionary<string, int> { ["BAG-001"] = 2 }), OrderCutoffMinute: 17 * 60);

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
