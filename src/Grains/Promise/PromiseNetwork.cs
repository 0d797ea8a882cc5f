using System.Collections.Concurrent;
using Oms.Contracts.Locations;
using Oms.Contracts.Promise;
using Oms.Grains.ClickAndCollect;
using Oms.Grains.Locations;

namespace Oms.Grains.Promise;

/// <summary>Where a parcel goes: its country's carrier calendar, and the zone its delivery dates are counted in.</summary>
public sealed record PromiseDestination(string CountryCode, double? Latitude, double? Longitude, TimeZoneInfo Zone);

/// <summary>A carrier service with its calendars laid out for walking day by day.</summary>
public sealed class ServiceCalendar
{
    private readonly bool[] _delivers = new bool[7];
    private readonly bool[] _collects = new bool[7];
    private readonly IReadOnlyDictionary<string, HashSet<DateOnly>> _holidays;
    private readonly Dictionary<string, int> _transit;

    public ServiceCalendar(CarrierInfo carrier, CarrierService service)
    {
        CarrierId = carrier.CarrierId;
        Service = service;
        foreach (var day in service.DeliveryDays)
        {
            _delivers[(int)day] = true;
        }

        foreach (var day in service.PickupDays)
        {
            _collects[(int)day] = true;
        }

        _holidays = carrier.Holidays.ToDictionary(h => h.Key, h => h.Value.ToHashSet(), StringComparer.OrdinalIgnoreCase);
        _transit = new Dictionary<string, int>(service.TransitDaysByCountry, StringComparer.OrdinalIgnoreCase);
    }

    public string CarrierId { get; }

    public string ServiceId => Service.ServiceId;

    public CarrierService Service { get; }

    /// <summary>The carrier collects at a location in <paramref name="country"/> on <paramref name="day"/>.</summary>
    public bool Collects(DateOnly day, string? country) => _collects[(int)day.DayOfWeek] && !IsHoliday(day, country);

    /// <summary>The carrier delivers in <paramref name="country"/> on <paramref name="day"/>.</summary>
    public bool Delivers(DateOnly day, string country) => _delivers[(int)day.DayOfWeek] && !IsHoliday(day, country);

    private bool IsHoliday(DateOnly day, string? country) =>
        country is not null && _holidays.TryGetValue(country, out var days) && days.Contains(day);

    /// <returns>Delivery days in transit, or null when the service does not go there.</returns>
    public int? TransitDays(string country, double? distanceKm)
    {
        if (distanceKm is { } km && Service.DistanceBands is { Count: > 0 } bands)
        {
            foreach (var band in bands)
            {
                if (km <= band.UpToKm)
                {
                    return band.TransitDays;
                }
            }
        }

        return _transit.TryGetValue(country, out var days) ? days : Service.DefaultTransitDays;
    }
}

/// <summary>A location as a place parcels leave from: its working calendar, cut-off and the services it ships with.</summary>
public sealed class SourceCalendar(LocationInfo location, OpeningSchedule schedule, IReadOnlyList<ServiceCalendar> services)
{
    public LocationInfo Location { get; } = location;

    public OpeningSchedule Schedule { get; } = schedule;

    public IReadOnlyList<ServiceCalendar> Services { get; } = services;

    public bool Works(DateOnly day) => Schedule.OpensOn(day);

    /// <summary>
    /// The last moment an order counts as that day's work, which is also when the carrier collects: the
    /// configured cut-off, never after the day's last closing. Without a cut-off, the closing itself.
    /// </summary>
    public DateTimeOffset? Cutoff(DateOnly day) => CutoffMinute(day) is { } minute ? Schedule.ToInstant(day, minute) : null;

    /// <summary>
    /// When the carrier collects on <paramref name="day"/>: at the cut-off, but always within that day, so a cut-off
    /// at 24:00 (a day open to midnight) is not read as the next day's first moment.
    /// </summary>
    public DateTimeOffset? Collection(DateOnly day) => CutoffMinute(day) is { } minute ? Schedule.ToInstant(day, Math.Min(minute, 1439)) : null;

    private int? CutoffMinute(DateOnly day) =>
        Schedule.LastClose(day) is { } close ? Math.Min(Location.OrderCutoffMinute ?? close, close) : null;
}

/// <summary>
/// The network as the promise sees it: every location's calendar and every carrier service, built once from a
/// snapshot of the profiles and carriers and then read without locks by any number of requests.
/// </summary>
public sealed class PromiseNetwork
{
    private readonly Dictionary<string, LocationInfo> _locations;
    private readonly ConcurrentDictionary<string, SourceCalendar> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), ServiceCalendar> _services;
    private readonly List<ServiceCalendar> _allServices;
    private readonly Dictionary<string, List<LocationInfo>> _zonedByCountry;
    private readonly ConcurrentDictionary<(string LocationId, string Country, string Zone, double? Lat, double? Lon), Remembered> _fastest = new();

    /// <summary>A source's fastest promise to one destination, and the span of order times it holds for.</summary>
    private sealed record Remembered(ShipPromise? Promise, DateTimeOffset From, DateTimeOffset Until);

    /// <summary>Destinations × sources remembered before the memo starts again; a listing page asks about a handful.</summary>
    public const int MaxRemembered = 100_000;

    /// <remarks>A source's calendar is built the first time it is asked for: a checkout asks about two or three of
    /// hundreds of locations, and should not pay for the rest.</remarks>
    public PromiseNetwork(IEnumerable<LocationInfo> locations, IEnumerable<CarrierInfo> carriers)
    {
        Carriers = [.. carriers];
        _services = Carriers.SelectMany(c => c.Services.Select(s => new ServiceCalendar(c, s)))
            .ToDictionary(s => (s.CarrierId, s.ServiceId));
        _allServices = [.. _services.Values.OrderBy(s => s.CarrierId, StringComparer.Ordinal).ThenBy(s => s.ServiceId, StringComparer.Ordinal)];
        Locations = [.. locations];
        _locations = Locations.ToDictionary(l => l.LocationId, StringComparer.Ordinal);
        _zonedByCountry = Locations.Where(l => l.CountryCode is not null && l.TimeZone is not null)
            .GroupBy(l => l.CountryCode!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.OrderBy(l => l.LocationId, StringComparer.Ordinal).ToList(), StringComparer.OrdinalIgnoreCase);
    }

    public static PromiseNetwork Empty { get; } = new([], []);

    public IReadOnlyList<LocationInfo> Locations { get; }

    public IReadOnlyDictionary<string, LocationInfo> LocationsById => _locations;

    public IReadOnlyList<CarrierInfo> Carriers { get; }

    public SourceCalendar? Source(string locationId) =>
        _sources.TryGetValue(locationId, out var known) ? known
        : _locations.TryGetValue(locationId, out var location) ? _sources.GetOrAdd(locationId, _ => Calendar(location))
        : null;

    /// <summary>A location that names its carrier services ships with those that exist; one that names none, with all.</summary>
    private SourceCalendar Calendar(LocationInfo location) => new(
        location, OpeningSchedule.For(location),
        location.CarrierServices is { Count: > 0 } named
            ? [.. named.Select(n => _services.GetValueOrDefault((n.CarrierId, n.ServiceId))).OfType<ServiceCalendar>()]
            : _allServices);

    /// <summary>Whether any carrier is configured: without one the network ships as before, with no promise.</summary>
    public bool Promises => _allServices.Count > 0;

    /// <summary>Every carrier service, by carrier and service id.</summary>
    public IReadOnlyList<ServiceCalendar> Services => _allServices;

    /// <summary>
    /// <see cref="DeliveryPromiser.Fastest"/> by any service, remembered across requests: the promise made at one moment
    /// holds for any later order until its cut-off passes (the order day cannot move before then), so a listing page's
    /// sources are worked out once per cut-off and destination rather than on every page view.
    /// </summary>
    /// <remarks>Without capacity: a boutique's ship-from-store room changes by the order, and only checkout and the
    /// basket promise ask for it.</remarks>
    public ShipPromise? Fastest(string locationId, PromiseDestination destination, DateTimeOffset now)
    {
        var key = (locationId, destination.CountryCode, destination.Zone.Id, destination.Latitude, destination.Longitude);
        if (_fastest.TryGetValue(key, out var known) && known.From <= now && now < known.Until)
        {
            return known.Promise;
        }

        var promise = Source(locationId) is { } source ? DeliveryPromiser.Fastest(source, destination, now) : null;
        if (_fastest.Count >= MaxRemembered)
        {
            _fastest.Clear();
        }

        // A source that promises nothing is asked again a minute later: a calendar change reaches it as a new network anyway.
        _fastest[key] = new Remembered(promise, now, promise?.OrderBy ?? now.AddMinutes(1));
        return promise;
    }

    public ServiceCalendar? Service(string carrierId, string serviceId) => _services.GetValueOrDefault((carrierId, serviceId));

    /// <summary>
    /// A destination counted in <paramref name="timeZone"/> when given; otherwise in the zone of the network's own
    /// location nearest to it in that country (the retailer's Paris boutiques know Paris time), else UTC.
    /// </summary>
    public PromiseDestination Destination(string countryCode, double? latitude, double? longitude, string? timeZone = null)
    {
        var country = countryCode.ToUpperInvariant();
        if (timeZone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var given))
        {
            return new(country, latitude, longitude, given);
        }

        var zone = TimeZoneInfo.Utc;
        if (_zonedByCountry.TryGetValue(country, out var local))
        {
            var nearest = latitude is { } lat && longitude is { } lon
                ? local.MinBy(l => Geo.DistanceKm(lat, lon, l.Latitude, l.Longitude))!
                : local[0];
            zone = OpeningSchedule.ResolveZone(nearest.TimeZone);
        }

        return new(country, latitude, longitude, zone);
    }
}
