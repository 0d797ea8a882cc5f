using System.Xml;
using Oms.Contracts.Promise;
using Oms.Grains.ClickAndCollect;

namespace Oms.Grains.Promise;

/// <summary>When a parcel from one source by one service would arrive, and the cut-off that earns that date.</summary>
/// <param name="ShipDate">The day the carrier collects, in the source's calendar.</param>
/// <param name="OrderBy">The cut-off the order must make for these dates.</param>
public sealed record ShipPromise(
    string CarrierId, string ServiceId, string LocationId, DateOnly ShipDate, DateOnly EarliestDelivery, DateOnly LatestDelivery, DateTimeOffset OrderBy)
{
    public TimeSpan OrderWithin(DateTimeOffset now) => DeliveryPromiser.OrderWithin(OrderBy, now);

    public PromisedDelivery ToPromised(DateTimeOffset at, PromiseDestination destination) =>
        new(CarrierId, ServiceId, EarliestDelivery, LatestDelivery, ShipDate, OrderBy, at, destination.Zone.Id);

    /// <summary>Earliest delivery first, then the narrower window, then the later cut-off; ids settle a tie so the choice is stable.</summary>
    public static int Compare(ShipPromise a, ShipPromise b)
    {
        var order = a.EarliestDelivery.CompareTo(b.EarliestDelivery);
        if (order == 0) order = a.LatestDelivery.CompareTo(b.LatestDelivery);
        if (order == 0) order = b.OrderBy.CompareTo(a.OrderBy);
        if (order == 0) order = string.CompareOrdinal(a.CarrierId, b.CarrierId);
        if (order == 0) order = string.CompareOrdinal(a.ServiceId, b.ServiceId);
        return order == 0 ? string.CompareOrdinal(a.LocationId, b.LocationId) : order;
    }
}

/// <summary>
/// The delivery promise, in the style of Sterling's earliest delivery date. Pure: the clock, calendars and
/// carriers are arguments, so every rule is table- and property-tested at fixed instants.
/// <list type="number">
/// <item>The order day is the first day the source works whose cut-off is still ahead (and, for a boutique at its
/// ship-from-store capacity, the first with room).</item>
/// <item>Processing takes the source's processing days, counted in its working days.</item>
/// <item>The carrier collects on the first day after that which is both a working day of the source and a pickup
/// day of the service outside the carrier's holidays in the source's country, at the cut-off.</item>
/// <item>Transit is counted in the service's delivery days at the destination, skipping its holidays there,
/// from the collection's date as the destination's clock reads it (so Tokyo to Paris crosses the date line).</item>
/// </list>
/// </summary>
public static class DeliveryPromiser
{
    /// <summary>Look no further ahead than this for any step; a source or service closed that long promises nothing.</summary>
    public const int HorizonDays = 60;

    /// <param name="full">Whether the source has no ship-from-store room left on a day of its calendar.</param>
    /// <returns>The promise, or null when the service does not serve the destination or nothing opens within the horizon.</returns>
    public static ShipPromise? Promise(
        SourceCalendar source, ServiceCalendar service, PromiseDestination destination, DateTimeOffset now, Func<string, DateOnly, bool>? full = null)
    {
        var location = source.Location;
        double? distance = destination.Latitude is { } lat && destination.Longitude is { } lon
            ? Geo.DistanceKm(location.Latitude, location.Longitude, lat, lon)
            : null;
        if (service.TransitDays(destination.CountryCode, distance) is not { } transit)
        {
            return null;
        }

        var today = source.Schedule.LocalDate(now);
        DateOnly? orderDay = null;
        var orderBy = default(DateTimeOffset);
        for (var d = 0; d < HorizonDays && orderDay is null; d++)
        {
            var day = today.AddDays(d);
            if (source.Cutoff(day) is { } cutoff && now < cutoff && full?.Invoke(location.LocationId, day) != true)
            {
                (orderDay, orderBy) = (day, cutoff);
            }
        }

        if (orderDay is not { } shipDate)
        {
            return null;
        }

        for (var left = location.EffectiveProcessingDays; left > 0;)
        {
            shipDate = shipDate.AddDays(1);
            if (shipDate.DayNumber - orderDay.Value.DayNumber > HorizonDays)
            {
                return null;
            }

            if (source.Works(shipDate))
            {
                left--;
            }
        }

        var pickup = shipDate;
        while (!(source.Works(pickup) && service.Collects(pickup, location.CountryCode)))
        {
            pickup = pickup.AddDays(1);
            if (pickup.DayNumber - shipDate.DayNumber > HorizonDays)
            {
                return null;
            }
        }

        var collected = TimeZoneInfo.ConvertTime(source.Collection(pickup)!.Value, destination.Zone);
        var start = DateOnly.FromDateTime(collected.DateTime);
        if (DeliveryDaysAfter(service, destination.CountryCode, start, transit) is not { } earliest
            || DeliveryDaysAfter(service, destination.CountryCode, earliest, service.Service.DeliveryWindowDays) is not { } latest)
        {
            return null;
        }

        return new ShipPromise(service.CarrierId, service.ServiceId, location.LocationId, pickup, earliest, latest, orderBy);
    }

    /// <summary>The fastest of the source's services, or of the one named.</summary>
    public static ShipPromise? Fastest(
        SourceCalendar source, PromiseDestination destination, DateTimeOffset now, Func<string, DateOnly, bool>? full = null,
        string? carrierId = null, string? serviceId = null)
    {
        ShipPromise? best = null;
        foreach (var service in source.Services)
        {
            if ((carrierId is not null && service.CarrierId != carrierId) || (serviceId is not null && service.ServiceId != serviceId))
            {
                continue;
            }

            if (Promise(source, service, destination, now, full) is { } promise && (best is null || ShipPromise.Compare(promise, best) < 0))
            {
                best = promise;
            }
        }

        return best;
    }

    /// <summary>How a delivery at <paramref name="deliveredAt"/> compares with the promise, by the destination's calendar.</summary>
    public static PromiseResult Judge(PromisedDelivery promise, DateTimeOffset deliveredAt) =>
        Judge(promise, DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(deliveredAt, Locations.OpeningSchedule.ResolveZone(promise.DestinationTimeZone)).DateTime));

    public static PromiseResult Judge(PromisedDelivery promise, DateOnly deliveredOn) =>
        deliveredOn < promise.EarliestDelivery ? new(deliveredOn, PromiseOutcome.Early, deliveredOn.DayNumber - promise.EarliestDelivery.DayNumber)
        : deliveredOn > promise.LatestDelivery ? new(deliveredOn, PromiseOutcome.Late, deliveredOn.DayNumber - promise.LatestDelivery.DayNumber)
        : new(deliveredOn, PromiseOutcome.OnTime, 0);

    /// <summary>Whole minutes left, rounded down: a customer told "2 h 14 min" must still make it at 2 h 14 min.</summary>
    public static TimeSpan OrderWithin(DateTimeOffset orderBy, DateTimeOffset now) =>
        TimeSpan.FromMinutes(Math.Max(0, Math.Floor((orderBy - now).TotalMinutes)));

    /// <summary>ISO 8601, as clients parse durations: <c>PT2H14M</c>, <c>P1DT3H</c>.</summary>
    public static string Iso(TimeSpan duration) => XmlConvert.ToString(duration);

    /// <summary>
    /// The <paramref name="count"/>th delivery day after <paramref name="from"/>; with a count of 0, the first
    /// delivery day on or after it.
    /// </summary>
    private static DateOnly? DeliveryDaysAfter(ServiceCalendar service, string country, DateOnly from, int count)
    {
        var day = from;
        if (count == 0)
        {
            for (var i = 0; i <= HorizonDays; i++, day = day.AddDays(1))
            {
                if (service.Delivers(day, country))
                {
                    return day;
                }
            }

            return null;
        }

        for (var i = 0; i < HorizonDays * 2; i++)
        {
            day = day.AddDays(1);
            if (service.Delivers(day, country) && --count == 0)
            {
                return day;
            }
        }

        return null;
    }
}
