using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Grains.Sourcing;

namespace Oms.Tests.Sourcing;

public sealed class SourcingEngineTests
{
    // The customer is in central Paris.
    private const double Lat = 48.8566, Lon = 2.3522;

    private static readonly SourcingProfile Profile = SourcingProfile.Default("web-shipToHome");

    private static LocationInfo Warehouse(string id, double lat, double lon, int priority = 0, LocationStatus status = LocationStatus.Active) =>
        new(id, id, LocationType.Warehouse, lat, lon, null, null, Status: status, Priority: priority);

    private static LocationInfo Boutique(string id, double lat, double lon, int buffer = 0, IReadOnlyList<LocationCapability>? capabilities = null) =>
        new(id, id, LocationType.Boutique, lat, lon, null, null, Capabilities: capabilities,
            OnlineSafetyStock: new OnlineSafetyStock(buffer, new Dictionary<string, int>()));

    private static Dictionary<string, SkuAvailability> Stock(params (string Sku, string Location, int Units)[] stock) =>
        stock.GroupBy(s => s.Sku).ToDictionary(g => g.Key, g => new SkuAvailability(g.Key, g.Sum(s => s.Units),
            [.. g.Select(s => new LocationAvailability(s.Location, LocationType.Warehouse, s.Units))]));

    private static SourcingDemand Home(params (string Sku, int Quantity)[] lines) =>
        new([.. lines.Select((l, i) => new SourcingLine($"{i + 1}", l.Sku, l.Quantity))], DeliveryMethod.ShipToHome, Lat, Lon, null);

    private static string[] Sources(SourcingResult result) => [.. result.Fulfilments.Select(f => $"{f.LocationId}:{f.Mode}:{string.Join('+', f.Lines.Select(l => $"{l.LineId}x{l.Quantity}"))}")];

    public static TheoryData<string, LocationInfo[], (string, string, int)[], (string, int)[], string[]> Cases() => new()
    {
        {
            "the nearer of two warehouses",
            [Warehouse("FAR", 43.3, 5.4), Warehouse("NEAR", 49.0, 2.5)],
            [("BAG", "FAR", 5), ("BAG", "NEAR", 5)], [("BAG", 1)],
            ["NEAR:Ship:1x1"]
        },
        {
            "a warehouse before a nearer boutique",
            [Boutique("BQ", 48.86, 2.33), Warehouse("WH", 49.0, 2.5)],
            [("BAG", "BQ", 5), ("BAG", "WH", 5)], [("BAG", 1)],
            ["WH:Ship:1x1"]
        },
        {
            "one farther location over two near ones: fewest shipments first",
            [Warehouse("NEAR-A", 48.9, 2.4), Warehouse("NEAR-B", 48.9, 2.4), Warehouse("FAR-BOTH", 45.7, 4.8)],
            [("BAG", "NEAR-A", 1), ("SCARF", "NEAR-B", 1), ("BAG", "FAR-BOTH", 1), ("SCARF", "FAR-BOTH", 1)], [("BAG", 1), ("SCARF", 1)],
            ["FAR-BOTH:Ship:1x1+2x1"]
        },
        {
            "priority breaks a tie on type and distance",
            [Warehouse("LOW", 49.0, 2.5, priority: 1), Warehouse("HIGH", 49.0, 2.5, priority: 9)],
            [("BAG", "LOW", 5), ("BAG", "HIGH", 5)], [("BAG", 1)],
            ["HIGH:Ship:1x1"]
        },
        {
            "a paused warehouse is skipped",
            [Warehouse("PAUSED", 49.0, 2.5, status: LocationStatus.Paused), Warehouse("OPEN", 43.3, 5.4)],
            [("BAG", "PAUSED", 5), ("BAG", "OPEN", 5)], [("BAG", 1)],
            ["OPEN:Ship:1x1"]
        },
        {
            "a boutique's online safety stock is not sold",
            [Boutique("BQ", 48.86, 2.33, buffer: 1), Boutique("BQ2", 45.7, 4.8)],
            [("BAG", "BQ", 1), ("BAG", "BQ2", 1)], [("BAG", 1)],
            ["BQ2:Ship:1x1"]
        },
        {
            "a boutique that does not ship is skipped",
            [Boutique("COLLECT-ONLY", 48.86, 2.33, capabilities: [LocationCapability.ClickAndCollect]), Boutique("SHIPS", 45.7, 4.8)],
            [("BAG", "COLLECT-ONLY", 3), ("BAG", "SHIPS", 3)], [("BAG", 1)],
            ["SHIPS:Ship:1x1"]
        },
        {
            "a line no one location holds is split",
            [Warehouse("A", 49.0, 2.5), Warehouse("B", 43.3, 5.4)],
            [("BAG", "A", 2), ("BAG", "B", 2)], [("BAG", 3)],
            ["A:Ship:1x2", "B:Ship:1x1"]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ship_to_home(string because, LocationInfo[] locations, (string, string, int)[] stock, (string, int)[] lines, string[] expected)
    {
        var result = SourcingEngine.Plan(Home(lines), Profile, locations, Stock(stock));

        Assert.True(result.Complete, because);
        Assert.Equal(expected, Sources(result));
    }

    [Fact]
    public void More_shipments_than_the_profile_allows_fails_every_line_with_the_reason()
    {
        var locations = new[] { Warehouse("A", 49, 2.5), Warehouse("B", 45, 4), Warehouse("C", 43, 5) };
        var stock = Stock(("X", "A", 1), ("Y", "B", 1), ("Z", "C", 1));

        var result = SourcingEngine.Plan(Home(("X", 1), ("Y", 1), ("Z", 1)), Profile with { MaxSplit = 2 }, locations, stock);

        Assert.Empty(result.Fulfilments);
        Assert.Equal(3, result.Unsourced.Count);
        Assert.All(result.Unsourced, u => Assert.Contains("needs 3 shipments", u.Reason));
    }

    [Fact]
    public void A_short_line_names_what_the_network_has()
    {
        var result = SourcingEngine.Plan(Home(("BAG", 5)), Profile, [Warehouse("A", 49, 2.5)], Stock(("BAG", "A", 2)));

        var line = Assert.Single(result.Unsourced);
        Assert.Equal((2, "1"), (line.Available, line.LineId));
    }

    [Fact]
    public void A_boutique_over_its_ship_capacity_is_excluded_and_says_so()
    {
        var result = SourcingEngine.Plan(Home(("BAG", 1)), Profile with { TypePreference = [LocationType.Boutique, LocationType.Warehouse] },
            [Boutique("FULL", 48.86, 2.33), Warehouse("WH", 49, 2.5)], Stock(("BAG", "FULL", 3), ("BAG", "WH", 3)),
            new Dictionary<string, string> { ["FULL"] = "ship-from-store capacity used up today" });

        var fulfilment = Assert.Single(result.Fulfilments);
        Assert.Equal("WH", fulfilment.LocationId);
        Assert.Contains(fulfilment.Explanation.Candidates, c => c.LocationId == "FULL" && c.Verdict == "excluded" && c.Reason.Contains("capacity"));
    }

    [Fact]
    public void The_explanation_names_the_rule_the_winner_and_why_each_other_candidate_lost()
    {
        var result = SourcingEngine.Plan(Home(("BAG", 1)), Profile,
            [Warehouse("NEAR", 49.0, 2.5), Warehouse("FAR", 43.3, 5.4), Boutique("BQ", 48.86, 2.33), Warehouse("PAUSED", 49, 2.5, status: LocationStatus.Paused)],
            Stock(("BAG", "NEAR", 1), ("BAG", "FAR", 1), ("BAG", "BQ", 1), ("BAG", "PAUSED", 1)));

        var explanation = Assert.Single(result.Fulfilments).Explanation;
        Assert.Contains("fewest shipments, then location type, then distance, then priority", explanation.Rule);
        Assert.Equal(("NEAR", "chosen"), (explanation.Candidates[0].LocationId, explanation.Candidates[0].Verdict));
        Assert.Contains(explanation.Candidates, c => c.LocationId == "FAR" && c.Verdict == "beaten" && c.Reason.StartsWith("farther"));
        Assert.Contains(explanation.Candidates, c => c.LocationId == "BQ" && c.Reason == "boutique ranks after warehouse");
        Assert.Contains(explanation.Candidates, c => c.LocationId == "PAUSED" && c.Verdict == "excluded" && c.Reason == "paused");
        Assert.NotNull(explanation.Candidates[0].DistanceKm);
    }

    [Fact]
    public void Click_and_collect_takes_the_boutiques_own_stock_and_transfers_the_rest_from_the_best_warehouse()
    {
        var demand = new SourcingDemand([new("1", "BAG", 1), new("2", "SCARF", 1)], DeliveryMethod.ClickAndCollect, null, null, "BQ");
        var locations = new[] { Boutique("BQ", 48.86, 2.33), Boutique("OTHER-BQ", 48.87, 2.34), Warehouse("WH-FAR", 43.3, 5.4), Warehouse("WH-NEAR", 49.0, 2.5) };

        var result = SourcingEngine.Plan(demand, SourcingProfile.Default("web-clickAndCollect"), locations,
            Stock(("BAG", "BQ", 1), ("SCARF", "OTHER-BQ", 5), ("SCARF", "WH-FAR", 5), ("SCARF", "WH-NEAR", 5)));

        Assert.Equal(["BQ:Pickup:1x1", "WH-NEAR:Transfer:2x1"], Sources(result));
        Assert.Contains(result.Fulfilments[1].Explanation.Candidates, c => c.LocationId == "OTHER-BQ" && c.Reason.Contains("does not transfer between boutiques"));
    }

    [Fact]
    public void Click_and_collect_may_transfer_from_a_boutique_only_when_the_profile_allows()
    {
        var demand = new SourcingDemand([new("1", "SCARF", 1)], DeliveryMethod.ClickAndCollect, null, null, "BQ");
        var locations = new[] { Boutique("BQ", 48.86, 2.33), Boutique("OTHER-BQ", 48.87, 2.34) };
        var stock = Stock(("SCARF", "OTHER-BQ", 5));

        Assert.False(SourcingEngine.Plan(demand, SourcingProfile.Default("p"), locations, stock).Complete);
        Assert.Equal(["OTHER-BQ:Transfer:1x1"],
            Sources(SourcingEngine.Plan(demand, SourcingProfile.Default("p") with { AllowBoutiqueTransfers = true }, locations, stock)));
    }

    [Fact]
    public void The_plan_is_deterministic()
    {
        var locations = Enumerable.Range(0, 30).Select(i => Warehouse($"WH-{i:00}", 40 + i % 7, i % 5)).ToArray();
        var stock = Stock([.. locations.Select(l => ("BAG", l.LocationId, 3)), .. locations.Select(l => ("SCARF", l.LocationId, 1))]);

        var first = Sources(SourcingEngine.Plan(Home(("BAG", 7), ("SCARF", 2)), Profile with { MaxSplit = 5 }, locations, stock));
        var second = Sources(SourcingEngine.Plan(Home(("BAG", 7), ("SCARF", 2)), Profile with { MaxSplit = 5 }, locations.Reverse().ToArray(), stock));

        Assert.Equal(first, second);
    }
}
