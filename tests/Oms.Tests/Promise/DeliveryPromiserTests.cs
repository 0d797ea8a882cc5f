using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Promise;
using Oms.Grains.Promise;
using Oms.Grains.Sourcing;

namespace Oms.Tests.Promise;

/// <summary>
/// The delivery promise at fixed instants. Every expected date is worked out by hand in the row's comment, so a
/// failure says which rule moved rather than that some date changed.
/// </summary>
public sealed class DeliveryPromiserTests
{
    private static readonly IReadOnlyList<DayOfWeek> Weekdays = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];
    private static readonly IReadOnlyList<DayOfWeek> MondayToSaturday = [.. Weekdays, DayOfWeek.Saturday];
    private static readonly IReadOnlyList<DayOfWeek> EveryDay = Enum.GetValues<DayOfWeek>();

    // A customer in central Paris, 1.2 km from the Paris warehouse below.
    private const double ParisLat = 48.8606, ParisLon = 2.3376;

    private static IReadOnlyList<DayHours> Open(int openHour, int closeHour, IReadOnlyList<DayOfWeek> days) =>
        [.. days.Select(d => new DayHours(d, [new TimeRange(openHour * 60, closeHour * 60)]))];

    private static LocationInfo ParisWarehouse(
        IReadOnlyList<DayOfWeek>? days = null, int? cutoffHour = 15, IReadOnlyList<OpeningException>? exceptions = null,
        IReadOnlyList<CarrierServiceRef>? services = null, string id = "WH-PARIS") =>
        new(id, "Paris warehouse", LocationType.Warehouse, 48.8566, 2.3522, "FR", "Europe/Paris",
            OpeningHours: Open(8, 20, days ?? Weekdays), OpeningExceptions: exceptions,
            OrderCutoffMinute: cutoffHour * 60, CarrierServices: services);

    private static CarrierService Service(
        string id = "STANDARD", int? transit = 1, IReadOnlyDictionary<string, int>? byCountry = null,
        IReadOnlyList<DayOfWeek>? pickup = null, IReadOnlyList<DayOfWeek>? delivery = null, IReadOnlyList<DistanceBand>? bands = null, int window = 1) =>
        new(id, transit, byCountry ?? new Dictionary<string, int>(), delivery ?? Weekdays, pickup ?? Weekdays, bands, window);

    private static CarrierInfo Carrier(string id, CarrierService service, IReadOnlyDictionary<string, IReadOnlyList<DateOnly>>? holidays = null) =>
        new(id, id, [service], holidays ?? new Dictionary<string, IReadOnlyList<DateOnly>>());

    /// <summary>The promise of the location's only service, to a customer whose zone is given.</summary>
    private static ShipPromise? PromiseOf(
        LocationInfo location, CarrierInfo carrier, DateTimeOffset now, string country = "FR",
        double? lat = ParisLat, double? lon = ParisLon, string zone = "Europe/Paris", Func<string, DateOnly, bool>? full = null)
    {
        var network = new PromiseNetwork([location], [carrier]);
        var source = network.Source(location.LocationId)!;
        return DeliveryPromiser.Promise(source, Assert.Single(source.Services), network.Destination(country, lat, lon, zone), now, full);
    }

    private static DateTimeOffset At(string instant) => DateTimeOffset.Parse(instant);

    private static DateOnly Day(string date) => DateOnly.Parse(date);

    private static void AssertDates(ShipPromise? promise, string ship, string earliest, string latest)
    {
        Assert.NotNull(promise);
        Assert.Equal((Day(ship), Day(earliest), Day(latest)), (promise.ShipDate, promise.EarliestDelivery, promise.LatestDelivery));
    }

    // A warehouse working every day with a 15:00 cut-off, a carrier collecting every day and delivering Monday to
    // Saturday in one day. Europe changes on 29 March and 25 October 2026, the US on 8 March and 1 November.
    [Theory]
    [InlineData("Europe/Paris", "FR", "2026-03-27T10:00:00+01:00", "2026-03-27T15:00:00+01:00", 300, "2026-03-27", "2026-03-28", "2026-03-30")] // Friday before: 5 h of winter time; Sunday is no delivery day, so the window ends Monday
    [InlineData("Europe/Paris", "FR", "2026-03-28T16:00:00+01:00", "2026-03-29T15:00:00+02:00", 1320, "2026-03-29", "2026-03-30", "2026-03-31")] // Saturday after the cut-off: Sunday 15:00 summer time is 13:00Z, 22 h after 15:00Z, the day having lost an hour
    [InlineData("Europe/Paris", "FR", "2026-03-29T01:30:00+01:00", "2026-03-29T15:00:00+02:00", 750, "2026-03-29", "2026-03-30", "2026-03-31")] // the night of the change: 13.5 h on the wall clock, 12.5 h (00:30Z to 13:00Z) in fact
    [InlineData("Europe/Paris", "FR", "2026-03-30T10:00:00+02:00", "2026-03-30T15:00:00+02:00", 300, "2026-03-30", "2026-03-31", "2026-04-01")] // Monday after: still 15:00 local, now at +02:00
    [InlineData("Europe/Paris", "FR", "2026-10-24T16:00:00+02:00", "2026-10-25T15:00:00+01:00", 1440, "2026-10-25", "2026-10-26", "2026-10-27")] // autumn Saturday after the cut-off: 14:00Z to 14:00Z, the day having gained an hour
    [InlineData("America/New_York", "US", "2026-03-07T16:00:00-05:00", "2026-03-08T15:00:00-04:00", 1320, "2026-03-08", "2026-03-09", "2026-03-10")] // US spring: 21:00Z to 19:00Z
    [InlineData("America/New_York", "US", "2026-11-01T01:30:00-04:00", "2026-11-01T15:00:00-05:00", 870, "2026-11-01", "2026-11-02", "2026-11-03")] // the first 01:30 of the US autumn night (05:30Z) to 20:00Z: 14.5 h where the wall clock shows 13.5 h
    [InlineData("America/New_York", "US", "2026-10-31T16:00:00-04:00", "2026-11-01T15:00:00-05:00", 1440, "2026-11-01", "2026-11-02", "2026-11-03")] // US autumn Saturday: 20:00Z to 20:00Z
    public void The_cutoff_stays_at_15_00_local_across_a_clock_change(
        string zone, string country, string now, string orderBy, int withinMinutes, string ship, string earliest, string latest)
    {
        var (lat, lon) = country == "US" ? (40.7128, -74.0060) : (48.8566, 2.3522);
        var warehouse = new LocationInfo($"WH-{country}", "warehouse", LocationType.Warehouse, lat, lon, country, zone,
            OpeningHours: Open(7, 21, EveryDay), OrderCutoffMinute: 15 * 60);
        var carrier = Carrier("DHL", Service(pickup: EveryDay, delivery: MondayToSaturday));

        var promise = PromiseOf(warehouse, carrier, At(now), country, lat, lon, zone);

        AssertDates(promise, ship, earliest, latest);
        Assert.Equal(At(orderBy), promise!.OrderBy);
        // Equality of DateTimeOffset compares instants; the offset and the wall clock are what the customer reads.
        Assert.Equal(At(orderBy).Offset, promise.OrderBy.Offset);
        Assert.Equal(new TimeSpan(15, 0, 0), TimeZoneInfo.ConvertTime(promise.OrderBy, TimeZoneInfo.FindSystemTimeZoneById(zone)).TimeOfDay);
        Assert.Equal(TimeSpan.FromMinutes(withinMinutes), promise.OrderWithin(At(now)));
    }

    // Monday 23 November 2026, a Paris warehouse working weekdays with a 15:00 cut-off.
    [Theory]
    [InlineData("2026-11-23T15:00:00+01:00", "2026-11-24T15:00:00+01:00", 1440, "2026-11-24")] // exactly at the cut-off is too late: Tuesday's
    [InlineData("2026-11-23T14:59:00+01:00", "2026-11-23T15:00:00+01:00", 1, "2026-11-23")] // a minute before makes it
    [InlineData("2026-11-23T14:59:59.999+01:00", "2026-11-23T15:00:00+01:00", 0, "2026-11-23")] // still makes it, though told 0 min: the minutes round down
    [InlineData("2026-11-23T12:45:30+01:00", "2026-11-23T15:00:00+01:00", 134, "2026-11-23")] // 2 h 14 min 30 s left is told as 2 h 14 min
    public void An_order_at_the_cutoff_misses_it_and_the_time_left_rounds_down(string now, string orderBy, int withinMinutes, string ship)
    {
        var promise = PromiseOf(ParisWarehouse(), Carrier("COLISSIMO", Service()), At(now));

        Assert.NotNull(promise);
        Assert.Equal((At(orderBy), Day(ship)), (promise.OrderBy, promise.ShipDate));
        Assert.Equal(TimeSpan.FromMinutes(withinMinutes), promise.OrderWithin(At(now)));
    }

    [Fact]
    public void The_time_left_is_never_negative_and_reads_as_an_iso_duration()
    {
        var promise = PromiseOf(ParisWarehouse(), Carrier("COLISSIMO", Service()), At("2026-11-23T12:45:30+01:00"))!;

        // A client holding the promise past its cut-off must show nothing left, not a negative count.
        Assert.Equal(TimeSpan.Zero, promise.OrderWithin(At("2026-11-23T16:00:00+01:00")));
        Assert.Equal("PT2H14M", DeliveryPromiser.Iso(promise.OrderWithin(At("2026-11-23T12:45:30+01:00"))));
    }

    // Friday 27 November 2026 at 16:00, after the 15:00 cut-off; delivery Monday to Friday in one day unless said.
    [Theory]
    [InlineData("open Saturday, no Saturday pickup: the order day is Saturday but the van comes Monday", true, false, "2026-11-28T15:00:00+01:00", "2026-11-30", "2026-12-01", "2026-12-02")]
    [InlineData("closed Saturday: Monday is both the order day and the pickup", false, false, "2026-11-30T15:00:00+01:00", "2026-11-30", "2026-12-01", "2026-12-02")]
    [InlineData("Saturday pickup and delivery: collected Saturday, Sunday skipped, delivered Monday", true, true, "2026-11-28T15:00:00+01:00", "2026-11-28", "2026-11-30", "2026-12-01")]
    public void Friday_after_the_cutoff_ships_on_the_next_pickup_day(
        string because, bool openSaturday, bool saturdayService, string orderBy, string ship, string earliest, string latest)
    {
        var days = saturdayService ? MondayToSaturday : Weekdays;
        var promise = PromiseOf(ParisWarehouse(openSaturday ? MondayToSaturday : Weekdays),
            Carrier("COLISSIMO", Service(pickup: days, delivery: days)), At("2026-11-27T16:00:00+01:00"));

        AssertDates(promise, ship, earliest, latest);
        Assert.True(At(orderBy) == promise!.OrderBy, because);
    }

    // A Tokyo warehouse open 06:00-22:00 every day; two delivery days to France, Monday to Saturday. Paris is UTC+1
    // and Tokyo UTC+9 in November, so 07:00 in Tokyo is 23:00 the evening before in Paris.
    [Theory]
    [InlineData(7, "2026-11-24T06:00:00+09:00", "2026-11-24T07:00:00+09:00", "2026-11-24", "2026-11-25", "2026-11-26")] // collected Tue 07:00 JST = Mon 23:00 Paris: Tue, Wed from Monday, not Wed, Thu from Tokyo's Tuesday
    [InlineData(17, "2026-11-24T06:00:00+09:00", "2026-11-24T17:00:00+09:00", "2026-11-24", "2026-11-26", "2026-11-27")] // collected Tue 17:00 JST = Tue 09:00 Paris: Wed, Thu
    [InlineData(7, "2026-11-24T07:30:00+09:00", "2026-11-25T07:00:00+09:00", "2026-11-25", "2026-11-26", "2026-11-27")] // Mon 23:30 in Paris has missed Tokyo's Tue 07:00; Wed 07:00 JST = Tue 23:00 Paris: Wed, Thu
    public void Transit_from_tokyo_counts_from_the_collection_date_as_paris_reads_it(
        int cutoffHour, string now, string orderBy, string ship, string earliest, string latest)
    {
        var tokyo = new LocationInfo("WH-TOKYO", "Tokyo warehouse", LocationType.Warehouse, 35.68, 139.77, "JP", "Asia/Tokyo",
            OpeningHours: Open(6, 22, EveryDay), OrderCutoffMinute: cutoffHour * 60);
        var carrier = Carrier("DHL", Service("EXPRESS", transit: null, byCountry: new Dictionary<string, int> { ["FR"] = 2 },
            pickup: EveryDay, delivery: MondayToSaturday));

        var promise = PromiseOf(tokyo, carrier, At(now));

        // The ship date stays in Tokyo's calendar; only the delivery dates are Paris's.
        AssertDates(promise, ship, earliest, latest);
        Assert.Equal(At(orderBy), promise!.OrderBy);
        Assert.Equal(TimeSpan.FromHours(9), promise.OrderBy.Offset);
    }

    private static IReadOnlyDictionary<string, IReadOnlyList<DateOnly>> ChristmasHolidays() => new Dictionary<string, IReadOnlyList<DateOnly>>
    {
        ["FR"] = [new(2026, 12, 25), new(2027, 1, 1)],
        ["DE"] = [new(2026, 12, 25), new(2026, 12, 26), new(2027, 1, 1)],
    };

    // The Paris warehouse works Monday to Saturday but is closed on Christmas Day (a Friday); the carrier collects
    // and delivers weekdays, in one day in France and two in Germany, and rests on 25 December and 1 January.
    [Theory]
    [InlineData("FR", "2026-12-24T10:00:00+01:00", "2026-12-24T15:00:00+01:00", "2026-12-24", "2026-12-28", "2026-12-29")] // Thursday's parcel: Friday is a holiday, the weekend no delivery days, so Monday
    [InlineData("FR", "2026-12-24T16:00:00+01:00", "2026-12-26T15:00:00+01:00", "2026-12-28", "2026-12-29", "2026-12-30")] // after Thursday's cut-off: closed Friday, so Saturday's cut-off, collected Monday
    [InlineData("FR", "2026-12-30T10:00:00+01:00", "2026-12-30T15:00:00+01:00", "2026-12-30", "2026-12-31", "2027-01-04")] // the window steps over New Year's Day and the weekend
    [InlineData("FR", "2026-12-31T10:00:00+01:00", "2026-12-31T15:00:00+01:00", "2026-12-31", "2027-01-04", "2027-01-05")] // New Year's Eve: delivery skips 1 January
    [InlineData("DE", "2026-12-31T16:00:00+01:00", "2027-01-01T15:00:00+01:00", "2027-01-04", "2027-01-06", "2027-01-07")] // the warehouse works on 1 January but the carrier does not collect in France: Monday, then Tue, Wed in Germany
    public void Christmas_closures_and_carrier_holidays_are_skipped(
        string country, string now, string orderBy, string ship, string earliest, string latest)
    {
        var warehouse = ParisWarehouse(MondayToSaturday, exceptions: [new OpeningException(new DateOnly(2026, 12, 25), true, null)]);
        var carrier = Carrier("COLISSIMO", Service(transit: null, byCountry: new Dictionary<string, int> { ["FR"] = 1, ["DE"] = 2 }), ChristmasHolidays());

        var promise = country == "DE"
            ? PromiseOf(warehouse, carrier, At(now), "DE", 52.52, 13.405, "Europe/Berlin")
            : PromiseOf(warehouse, carrier, At(now));

        AssertDates(promise, ship, earliest, latest);
        Assert.Equal(At(orderBy), promise!.OrderBy);
    }

    [Fact]
    public void Only_the_source_countrys_holiday_held_the_parcel_back_on_new_years_day()
    {
        var warehouse = ParisWarehouse(MondayToSaturday);
        var germanHolidaysOnly = new Dictionary<string, IReadOnlyList<DateOnly>> { ["DE"] = ChristmasHolidays()["DE"] };
        var carrier = Carrier("COLISSIMO", Service(transit: null, byCountry: new Dictionary<string, int> { ["DE"] = 2 }), germanHolidaysOnly);

        // Collected on Friday 1 January in France; Germany's own 1 January is before the count starts: Mon, Tue.
        AssertDates(PromiseOf(warehouse, carrier, At("2026-12-31T16:00:00+01:00"), "DE", 52.52, 13.405, "Europe/Berlin"),
            "2027-01-01", "2027-01-05", "2027-01-06");
    }

    // The Opéra boutique works Monday to Saturday with a 17:00 cut-off and packs the day after (one processing day).
    [Theory]
    [InlineData("2026-11-23T11:00:00+01:00", "", "2026-11-23T17:00:00+01:00", "2026-11-24", "2026-11-25", "2026-11-26")] // room today: packed Tuesday, delivered Wednesday
    [InlineData("2026-11-23T11:00:00+01:00", "2026-11-23", "2026-11-24T17:00:00+01:00", "2026-11-25", "2026-11-26", "2026-11-27")] // full Monday: Tuesday is the order day, everything a day later
    [InlineData("2026-11-23T11:00:00+01:00", "2026-11-23,2026-11-24", "2026-11-25T17:00:00+01:00", "2026-11-26", "2026-11-27", "2026-11-30")] // full two days: the window runs over the weekend
    [InlineData("2026-11-27T11:00:00+01:00", "2026-11-27", "2026-11-28T17:00:00+01:00", "2026-11-30", "2026-12-01", "2026-12-02")] // full Friday: Saturday's order, packed on the next working day, Monday
    public void A_boutique_at_capacity_takes_the_order_on_the_next_day_with_room(
        string now, string fullDays, string orderBy, string ship, string earliest, string latest)
    {
        var boutique = new LocationInfo("BQ-OPERA", "Opéra", LocationType.Boutique, 48.87, 2.33, "FR", "Europe/Paris",
            DailyShipCapacity: 20, OpeningHours: Open(10, 19, MondayToSaturday), OrderCutoffMinute: 17 * 60);
        var full = fullDays.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(DateOnly.Parse).ToHashSet();
        var asked = new List<string>();

        var promise = PromiseOf(boutique, Carrier("COLISSIMO", Service()), At(now), full: (id, day) =>
        {
            asked.Add(id);
            return full.Contains(day);
        });

        AssertDates(promise, ship, earliest, latest);
        Assert.Equal(At(orderBy), promise!.OrderBy);
        // Capacity is per location: the engine must ask about this boutique and no other.
        Assert.NotEmpty(asked);
        Assert.All(asked, id => Assert.Equal("BQ-OPERA", id));
    }

    // Friday 27 November 2026 at noon; both locations work Monday to Saturday 10:00-19:00 without a cut-off (so the
    // closing is), the carrier collects and delivers Monday to Saturday in one day.
    [Theory]
    [InlineData(LocationType.Warehouse, null, "2026-11-27", "2026-11-28", "2026-11-30")] // a warehouse ships the day it picks
    [InlineData(LocationType.Boutique, null, "2026-11-28", "2026-11-30", "2026-12-01")] // a boutique the working day after
    [InlineData(LocationType.Boutique, 0, "2026-11-27", "2026-11-28", "2026-11-30")] // unless told it ships the same day
    [InlineData(LocationType.Boutique, 2, "2026-11-30", "2026-12-01", "2026-12-02")] // two working days: Saturday, then Monday, Sunday being closed
    [InlineData(LocationType.Warehouse, 1, "2026-11-28", "2026-11-30", "2026-12-01")]
    public void Processing_days_are_counted_in_the_sources_working_days(
        LocationType type, int? processingDays, string ship, string earliest, string latest)
    {
        var location = new LocationInfo("LOC", "location", type, 48.8566, 2.3522, "FR", "Europe/Paris",
            OpeningHours: Open(10, 19, MondayToSaturday), ProcessingDays: processingDays);

        var promise = PromiseOf(location, Carrier("COLISSIMO", Service(pickup: MondayToSaturday, delivery: MondayToSaturday)), At("2026-11-27T12:00:00+01:00"));

        AssertDates(promise, ship, earliest, latest);
        Assert.Equal(At("2026-11-27T19:00:00+01:00"), promise!.OrderBy);
    }

    // A same-day courier: no transit, a one-day window, collecting Monday to Saturday but delivering only weekdays.
    [Theory]
    [InlineData("2026-11-23T10:00:00+01:00", "2026-11-23", "2026-11-23")] // collected Monday, delivered Monday
    [InlineData("2026-11-28T10:00:00+01:00", "2026-11-28", "2026-11-30")] // collected Saturday: the first delivery day on or after it is Monday
    public void No_transit_delivers_on_the_first_delivery_day_on_or_after_the_collection(string now, string ship, string delivered)
    {
        var carrier = Carrier("STUART", Service("SAME-DAY", transit: 0, pickup: MondayToSaturday, window: 0));

        AssertDates(PromiseOf(ParisWarehouse(MondayToSaturday), carrier, At(now)), ship, delivered, delivered);
    }

    [Fact]
    public void The_delivery_window_ends_that_many_delivery_days_after_the_earliest()
    {
        // Collected Thursday 26 November, delivered Friday at the earliest; three delivery days on, skipping the
        // weekend: Mon 30, Tue 1, Wed 2 December.
        var carrier = Carrier("COLISSIMO", Service(window: 3));

        AssertDates(PromiseOf(ParisWarehouse(), carrier, At("2026-11-26T10:00:00+01:00")), "2026-11-26", "2026-11-27", "2026-12-02");
    }

    // From the Paris warehouse on Monday 23 November: up to 50 km same day, up to 300 km next day, farther by the
    // country table (two days); without coordinates there is no distance, so the table too.
    [Theory]
    [InlineData(48.8606, 2.3376, "2026-11-23")] // central Paris, 1.2 km
    [InlineData(49.4431, 1.0993, "2026-11-24")] // Rouen, 112 km
    [InlineData(45.7640, 4.8357, "2026-11-25")] // Lyon, 391 km: beyond the last band
    [InlineData(null, null, "2026-11-25")]
    public void Distance_bands_come_before_the_country_table(double? lat, double? lon, string earliest)
    {
        var carrier = Carrier("COLISSIMO", Service(transit: null, byCountry: new Dictionary<string, int> { ["FR"] = 2 },
            bands: [new DistanceBand(50, 0), new DistanceBand(300, 1)], window: 0));

        AssertDates(PromiseOf(ParisWarehouse(), carrier, At("2026-11-23T10:00:00+01:00"), "FR", lat, lon), "2026-11-23", earliest, earliest);
    }

    [Fact]
    public void A_service_that_does_not_go_to_the_country_promises_nothing_and_the_fastest_takes_another()
    {
        var frenchOnly = Service("FRANCE", transit: null, byCountry: new Dictionary<string, int> { ["FR"] = 1 });
        var worldwide = Service("WORLD", transit: 5);
        var network = new PromiseNetwork([ParisWarehouse()], [new CarrierInfo("DHL", "DHL", [frenchOnly, worldwide], new Dictionary<string, IReadOnlyList<DateOnly>>())]);
        var source = network.Source("WH-PARIS")!;
        var tokyo = network.Destination("JP", 35.68, 139.77, "Asia/Tokyo");
        var now = At("2026-11-23T10:00:00+01:00");

        Assert.Null(DeliveryPromiser.Promise(source, network.Service("DHL", "FRANCE")!, tokyo, now));
        // Five weekdays after Monday 23 November in Tokyo's calendar (collected 15:00 Paris = 23:00 Tokyo, still Monday).
        var fastest = DeliveryPromiser.Fastest(source, tokyo, now);
        Assert.Equal(("WORLD", new DateOnly(2026, 11, 30)), (fastest?.ServiceId, fastest?.EarliestDelivery));
    }

    [Fact]
    public void A_location_that_names_its_carrier_services_ships_only_with_those()
    {
        // Express is a day faster, but the first warehouse has only a Colissimo contract (and a stale UPS entry).
        var carriers = new[]
        {
            Carrier("COLISSIMO", Service("STANDARD", transit: 2)),
            Carrier("CHRONOPOST", Service("EXPRESS", transit: 1)),
        };
        var named = ParisWarehouse(id: "WH-NAMED", services: [new CarrierServiceRef("COLISSIMO", "STANDARD"), new CarrierServiceRef("UPS", "SAVER")]);
        var network = new PromiseNetwork([named, ParisWarehouse(id: "WH-ANY")], carriers);
        var paris = network.Destination("FR", ParisLat, ParisLon, "Europe/Paris");
        var now = At("2026-11-23T10:00:00+01:00");

        Assert.Equal(["COLISSIMO/STANDARD"], network.Source("WH-NAMED")!.Services.Select(s => $"{s.CarrierId}/{s.ServiceId}"));
        Assert.Equal(("COLISSIMO", new DateOnly(2026, 11, 25)), (DeliveryPromiser.Fastest(network.Source("WH-NAMED")!, paris, now)?.CarrierId,
            DeliveryPromiser.Fastest(network.Source("WH-NAMED")!, paris, now)?.EarliestDelivery));
        Assert.Equal(("CHRONOPOST", new DateOnly(2026, 11, 24)), (DeliveryPromiser.Fastest(network.Source("WH-ANY")!, paris, now)?.CarrierId,
            DeliveryPromiser.Fastest(network.Source("WH-ANY")!, paris, now)?.EarliestDelivery));
        // Asking for one carrier keeps to it even where another would be faster.
        Assert.Equal("STANDARD", DeliveryPromiser.Fastest(network.Source("WH-ANY")!, paris, now, carrierId: "COLISSIMO")?.ServiceId);
        Assert.Null(DeliveryPromiser.Fastest(network.Source("WH-NAMED")!, paris, now, carrierId: "CHRONOPOST"));
    }

    [Fact]
    public void A_destination_without_a_zone_takes_the_nearest_locations_in_its_country_else_utc()
    {
        var network = new PromiseNetwork(
            [ParisWarehouse(), new LocationInfo("WH-TOKYO", "Tokyo", LocationType.Warehouse, 35.68, 139.77, "JP", "Asia/Tokyo")], []);

        // The country code is matched without regard to case and kept upper case.
        Assert.Equal(("FR", "Europe/Paris"), (network.Destination("fr", ParisLat, ParisLon).CountryCode, network.Destination("fr", ParisLat, ParisLon).Zone.Id));
        Assert.Equal("Asia/Tokyo", network.Destination("JP", null, null).Zone.Id);
        Assert.Equal(TimeZoneInfo.Utc, network.Destination("BR", -23.55, -46.63).Zone);
    }

    private static PromisedDelivery Promised(string zone) =>
        new("COLISSIMO", "STANDARD", new DateOnly(2026, 11, 25), new DateOnly(2026, 11, 26), new DateOnly(2026, 11, 24),
            At("2026-11-24T15:00:00+01:00"), At("2026-11-23T10:00:00+01:00"), zone);

    // Promised Wednesday 25 to Thursday 26 November; both ends are on time.
    [Theory]
    [InlineData("2026-11-23", PromiseOutcome.Early, -2)]
    [InlineData("2026-11-24", PromiseOutcome.Early, -1)]
    [InlineData("2026-11-25", PromiseOutcome.OnTime, 0)]
    [InlineData("2026-11-26", PromiseOutcome.OnTime, 0)]
    [InlineData("2026-11-27", PromiseOutcome.Late, 1)]
    [InlineData("2026-11-30", PromiseOutcome.Late, 4)] // calendar days, not delivery days
    public void A_delivery_is_early_on_time_or_late_by_calendar_days(string deliveredOn, PromiseOutcome outcome, int daysOff)
    {
        Assert.Equal(new PromiseResult(Day(deliveredOn), outcome, daysOff), DeliveryPromiser.Judge(Promised("Europe/Paris"), Day(deliveredOn)));
    }

    [Theory]
    [InlineData("Europe/Paris", "2026-11-26T23:30:00Z", "2026-11-27", PromiseOutcome.Late, 1)] // Thursday in UTC, already Friday 00:30 in Paris
    [InlineData("Europe/Paris", "2026-11-24T23:30:00Z", "2026-11-25", PromiseOutcome.OnTime, 0)] // Tuesday in UTC, Wednesday in Paris
    [InlineData("America/New_York", "2026-11-27T03:00:00Z", "2026-11-26", PromiseOutcome.OnTime, 0)] // Friday in UTC, Thursday 22:00 in New York
    [InlineData("America/New_York", "2026-11-25T04:30:00Z", "2026-11-24", PromiseOutcome.Early, -1)] // Wednesday in UTC, Tuesday 23:30 in New York
    [InlineData("Asia/Tokyo", "2026-11-26T16:00:00Z", "2026-11-27", PromiseOutcome.Late, 1)] // Thursday in UTC, Friday 01:00 in Tokyo
    public void A_delivery_instant_is_judged_by_the_destinations_calendar(
        string zone, string deliveredAt, string deliveredOn, PromiseOutcome outcome, int daysOff)
    {
        Assert.Equal(new PromiseResult(Day(deliveredOn), outcome, daysOff), DeliveryPromiser.Judge(Promised(zone), At(deliveredAt)));
    }

    [Fact]
    public void The_promise_kept_with_the_order_remembers_the_destinations_zone()
    {
        var network = new PromiseNetwork([ParisWarehouse()], [Carrier("COLISSIMO", Service())]);
        var source = network.Source("WH-PARIS")!;
        var tokyo = network.Destination("JP", 35.68, 139.77, "Asia/Tokyo");
        var now = At("2026-11-23T10:00:00+01:00");

        // Collected Monday 15:00 Paris = 23:00 Tokyo: the next weekday there, Tuesday, then Wednesday.
        var promised = DeliveryPromiser.Fastest(source, tokyo, now)!.ToPromised(now, tokyo);

        Assert.Equal(("Asia/Tokyo", new DateOnly(2026, 11, 24), new DateOnly(2026, 11, 25), now), (promised.DestinationTimeZone, promised.EarliestDelivery, promised.LatestDelivery, promised.PromisedAt));
        // Wednesday 16:00Z is Thursday 01:00 in Tokyo: late, though still Wednesday in Paris.
        Assert.Equal(PromiseOutcome.Late, DeliveryPromiser.Judge(promised, At("2026-11-25T16:00:00Z")).Outcome);
    }

    // Monday 23 November 10:00, a customer in central Paris. The near warehouse takes two processing days (earliest
    // Thursday), the Lyon one none (Tuesday), the Opéra boutique one (Wednesday).
    [Theory]
    [InlineData("default", "WH-NEAR,WH-LYON,BQ-OPERA", "WH-NEAR")] // warehouses first, then the nearer
    [InlineData("deliveryDate", "WH-NEAR,WH-LYON,BQ-OPERA", "WH-LYON")] // Tuesday beats Wednesday and Thursday
    [InlineData("default", "WH-NEAR,BQ-OPERA", "WH-NEAR")]
    [InlineData("deliveryDate", "WH-NEAR,BQ-OPERA", "BQ-OPERA")] // the boutique's Wednesday beats the warehouse's Thursday
    [InlineData("deliveryDate", "BQ-OPERA", "BQ-OPERA")]
    public void Choosing_a_ship_source_agrees_with_the_sourcing_plan(string profileName, string stockedAt, string expected)
    {
        var hours = Open(8, 20, Weekdays);
        LocationInfo[] locations =
        [
            new("WH-NEAR", "Gennevilliers", LocationType.Warehouse, 48.93, 2.30, "FR", "Europe/Paris", OpeningHours: hours, OrderCutoffMinute: 15 * 60, ProcessingDays: 2),
            new("WH-LYON", "Lyon", LocationType.Warehouse, 45.76, 4.84, "FR", "Europe/Paris", OpeningHours: hours, OrderCutoffMinute: 15 * 60),
            new("BQ-OPERA", "Opéra", LocationType.Boutique, 48.87, 2.33, "FR", "Europe/Paris", OpeningHours: Open(10, 19, MondayToSaturday)),
        ];
        var network = new PromiseNetwork(locations, [Carrier("COLISSIMO", Service())]);
        var customer = network.Destination("FR", 48.8566, 2.3522, "Europe/Paris");
        var now = At("2026-11-23T10:00:00+01:00");
        DateOnly? Earliest(LocationInfo l) => DeliveryPromiser.Fastest(network.Source(l.LocationId)!, customer, now)?.EarliestDelivery;
        var profile = profileName == "default"
            ? SourcingProfile.Default("web-shipToHome")
            : SourcingProfile.Default("web-shipToHome") with { Criteria = [SourcingCriterion.DeliveryDate, SourcingCriterion.Distance, SourcingCriterion.Priority] };
        var stocked = stockedAt.Split(',');
        var view = new SkuAvailability("BAG-KELLY", stocked.Length * 3,
            [.. stocked.Select(id => new LocationAvailability(id, locations.Single(l => l.LocationId == id).Type, 3))]);

        var plan = SourcingEngine.Plan(new SourcingDemand([new SourcingLine("1", "BAG-KELLY", 1)], DeliveryMethod.ShipToHome, 48.8566, 2.3522, null),
            profile, locations, new Dictionary<string, SkuAvailability> { ["BAG-KELLY"] = view }, earliestDelivery: Earliest);
        var chosen = SourcingEngine.ChooseShipSource("BAG-KELLY", view, profile, locations.ToDictionary(l => l.LocationId), 48.8566, 2.3522, Earliest);

        Assert.Equal(expected, Assert.Single(plan.Fulfilments).LocationId);
        Assert.Equal(expected, chosen?.LocationId);
    }
}
