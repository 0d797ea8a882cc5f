using Oms.Contracts.Availability;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;
using Oms.Grains.Availability;
using Oms.Grains.ClickAndCollect;

namespace Oms.Tests.ClickAndCollect;

public sealed class PickupPlannerTests
{
    // Monday 12:00 in Paris.
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-23T12:00:00+01:00");

    private static readonly IReadOnlyList<DayHours> Weekdays =
        [.. Enum.GetValues<DayOfWeek>().Select(d => new DayHours(d, d == DayOfWeek.Sunday ? [] : [new TimeRange(10 * 60, 19 * 60)]))];

    private static LocationInfo Boutique(string id, int buffer = 0, LocationStatus status = LocationStatus.Active,
        IReadOnlyList<LocationCapability>? capabilities = null, int prep = 30) =>
        new(id, id, LocationType.Boutique, 48.86, 2.34, "FR", "Europe/Paris", Capabilities: capabilities, Status: status,
            PickupPreparationMinutes: prep, OpeningHours: Weekdays, OnlineSafetyStock: new OnlineSafetyStock(buffer, new Dictionary<string, int>()));

    private static readonly LocationInfo Warehouse = new("WH", "WH", LocationType.Warehouse, 49.0, 2.5, "FR", "Europe/Paris");

    private static SkuAvailability View(string sku, params (string Location, int Available)[] at) =>
        new(sku, at.Sum(a => a.Available), [.. at.Select(a => new LocationAvailability(a.Location, LocationType.Boutique, a.Available))]);

    private static IReadOnlyList<PickupOption> Plan(
        IEnumerable<(LocationInfo, double)> nearby, IReadOnlyList<PickupLine> lines, IEnumerable<SkuAvailability> views, int limit = 10) =>
        new PickupPlanner(TimeSpan.FromHours(48)).Plan(
            [.. nearby], lines, views.ToDictionary(v => v.Sku), [Warehouse], Now, limit);

    [Fact]
    public void A_boutique_with_the_units_offers_pickup_today_after_preparation()
    {
        var options = Plan([(Boutique("A"), 1.2)], [new PickupLine("BAG", 1)], [View("BAG", ("A", 2))]);

        var option = Assert.Single(options);
        Assert.Equal((PickupKind.Today, 2, false), (option.Pickup, option.Available, option.Partial));
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T12:30:00+01:00"), option.ReadyBy);
    }

    [Fact]
    public void The_online_buffer_is_kept_back_and_a_transfer_is_offered_instead()
    {
        var options = Plan([(Boutique("A", buffer: 1), 1.2)], [new PickupLine("BAG", 1)], [View("BAG", ("A", 1), ("WH", 10))]);

        var option = Assert.Single(options);
        Assert.Equal((PickupKind.Transfer, 0), (option.Pickup, option.Available));
        // Two days' transit lands Wednesday 12:00, inside opening hours, plus preparation.
        Assert.Equal(DateTimeOffset.Parse("2026-11-25T12:30:00+01:00"), option.ReadyBy);
    }

    [Fact]
    public void Paused_boutiques_and_those_without_click_and_collect_are_left_out()
    {
        var options = Plan(
            [(Boutique("PAUSED", status: LocationStatus.Paused), 1), (Boutique("SHIP-ONLY", capabilities: [LocationCapability.ShipToCustomer]), 2), (Boutique("OK"), 3)],
            [new PickupLine("BAG", 1)],
            [View("BAG", ("PAUSED", 5), ("SHIP-ONLY", 5), ("OK", 5))]);

        Assert.Equal(["OK"], options.Select(o => o.LocationId));
    }

    [Fact]
    public void Without_stock_anywhere_or_the_right_to_receive_transfers_there_is_no_option()
    {
        Assert.Empty(Plan([(Boutique("A"), 1)], [new PickupLine("BAG", 1)], [View("BAG")]));
        Assert.Empty(Plan(
            [(Boutique("A", capabilities: [LocationCapability.ClickAndCollect]), 1)],
            [new PickupLine("BAG", 1)],
            [View("BAG", ("WH", 10))]));
    }

    [Fact]
    public void Too_late_to_prepare_today_means_tomorrow()
    {
        var late = new PickupPlanner(TimeSpan.FromHours(48)).Plan(
            [(Boutique("A", prep: 120), 1)], [new PickupLine("BAG", 1)], new Dictionary<string, SkuAvailability> { ["BAG"] = View("BAG", ("A", 1)) },
            [Warehouse], DateTimeOffset.Parse("2026-11-23T17:30:00+01:00"), 10);

        var option = Assert.Single(late);
        Assert.Equal(PickupKind.Later, option.Pickup);
        Assert.Equal(DateTimeOffset.Parse("2026-11-24T12:00:00+01:00"), option.ReadyBy);
    }

    [Fact]
    public void A_basket_lists_complete_boutiques_before_partial_ones_and_says_where_each_line_comes_from()
    {
        var options = Plan(
            [(Boutique("NEAR-PARTIAL", capabilities: [LocationCapability.ClickAndCollect]), 1), (Boutique("FAR-TRANSFER"), 5), (Boutique("FARTHER-HERE"), 9)],
            [new PickupLine("BAG", 1), new PickupLine("SCARF", 2)],
            [View("BAG", ("NEAR-PARTIAL", 1), ("FAR-TRANSFER", 1), ("FARTHER-HERE", 1)),
             View("SCARF", ("FAR-TRANSFER", 1), ("FARTHER-HERE", 2), ("WH", 2))]);

        Assert.Equal(["FAR-TRANSFER", "FARTHER-HERE", "NEAR-PARTIAL"], options.Select(o => o.LocationId));
        Assert.Equal([LineSource.Here, LineSource.Transfer], options[0].Lines.Select(l => l.Source));
        Assert.Equal(PickupKind.Transfer, options[0].Pickup);
        Assert.Equal(PickupKind.Today, options[1].Pickup);
        Assert.True(options[2].Partial);
        Assert.Equal([LineSource.Here, LineSource.Unavailable], options[2].Lines.Select(l => l.Source));
    }

    [Fact]
    public void A_partial_basket_is_one_where_some_line_cannot_be_had_at_all()
    {
        var options = Plan(
            [(Boutique("A"), 1)],
            [new PickupLine("BAG", 1), new PickupLine("RARE", 1)],
            [View("BAG", ("A", 1)), View("RARE")]);

        var option = Assert.Single(options);
        Assert.True(option.Partial);
        Assert.Equal([LineSource.Here, LineSource.Unavailable], option.Lines.Select(l => l.Source));
    }

    [Fact]
    public void The_limit_caps_the_options()
    {
        var nearby = Enumerable.Range(0, 20).Select(i => (Boutique($"B{i:00}"), (double)i));
        var options = Plan(nearby, [new PickupLine("BAG", 1)], [View("BAG", [.. Enumerable.Range(0, 20).Select(i => ($"B{i:00}", 3))])], limit: 5);

        Assert.Equal(["B00", "B01", "B02", "B03", "B04"], options.Select(o => o.LocationId));
    }

    [Fact]
    public void The_online_view_deducts_buffers_and_drops_paused_and_non_shipping_locations_the_store_view_does_not()
    {
        var profiles = new[]
        {
            Boutique("BUFFERED", buffer: 1),
            Boutique("PAUSED", status: LocationStatus.Paused),
            Boutique("COLLECT-ONLY", capabilities: [LocationCapability.ClickAndCollect]),
            Warehouse,
        }.ToDictionary(p => p.LocationId);
        var raw = View("BAG", ("BUFFERED", 3), ("PAUSED", 4), ("COLLECT-ONLY", 5), ("WH", 6), ("UNKNOWN", 7));

        var online = AvailabilityViews.Apply(raw, AvailabilityView.Online, profiles);
        var store = AvailabilityViews.Apply(raw, AvailabilityView.Store, profiles);

        Assert.Equal([("WH", 6), ("BUFFERED", 2)], online.Locations.Select(l => (l.LocationId, l.Available)));
        Assert.Equal(8, online.Available);
        Assert.Equal(25, store.Available);
    }
}
