using Orleans.Concurrency;

namespace Oms.Contracts.Promise;

/// <summary>Transit by distance from the source: the first band whose <see cref="UpToKm"/> covers the distance applies.</summary>
[GenerateSerializer, Immutable, Alias("oms.DistanceBand")]
public sealed record DistanceBand([property: Id(0)] double UpToKm, [property: Id(1)] int TransitDays);

/// <summary>One service of a carrier (express, standard …): how long it takes, and on which days it collects and delivers.</summary>
/// <param name="DefaultTransitDays">Transit to a country not listed in <paramref name="TransitDaysByCountry"/>; null when the service goes only to the listed ones.</param>
/// <param name="DeliveryWindowDays">Delivery days between the earliest and the latest date promised; 0 promises one day.</param>
/// <param name="DistanceBands">When set and the destination has coordinates, transit by distance; beyond the last band, the country table.</param>
[GenerateSerializer, Immutable, Alias("oms.CarrierService")]
public sealed record CarrierService(
    [property: Id(0)] string ServiceId,
    [property: Id(1)] int? DefaultTransitDays,
    [property: Id(2)] IReadOnlyDictionary<string, int> TransitDaysByCountry,
    [property: Id(3)] IReadOnlyList<DayOfWeek> DeliveryDays,
    [property: Id(4)] IReadOnlyList<DayOfWeek> PickupDays,
    [property: Id(5)] IReadOnlyList<DistanceBand>? DistanceBands = null,
    [property: Id(6)] int DeliveryWindowDays = 1);

/// <summary>A carrier, its services, and the days it neither collects nor delivers in each country.</summary>
[GenerateSerializer, Immutable, Alias("oms.CarrierInfo")]
public sealed record CarrierInfo(
    [property: Id(0)] string CarrierId,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<CarrierService> Services,
    [property: Id(3)] IReadOnlyDictionary<string, IReadOnlyList<DateOnly>> Holidays);

/// <summary>A carrier service a location ships with.</summary>
[GenerateSerializer, Immutable, Alias("oms.CarrierServiceRef")]
public sealed record CarrierServiceRef([property: Id(0)] string CarrierId, [property: Id(1)] string ServiceId);

/// <summary>What a fulfilment promised the customer when it was allocated: by which service, and the delivery window.</summary>
/// <param name="ShipDate">The day the carrier collects, in the source's calendar.</param>
/// <param name="OrderBy">The cut-off the order made.</param>
/// <param name="DestinationTimeZone">The zone the delivery dates are counted in, so a delivery is judged by the
/// destination's calendar too.</param>
[GenerateSerializer, Immutable, Alias("oms.PromisedDelivery")]
public sealed record PromisedDelivery(
    [property: Id(0)] string CarrierId,
    [property: Id(1)] string ServiceId,
    [property: Id(2)] DateOnly EarliestDelivery,
    [property: Id(3)] DateOnly LatestDelivery,
    [property: Id(4)] DateOnly ShipDate,
    [property: Id(5)] DateTimeOffset OrderBy,
    [property: Id(6)] DateTimeOffset PromisedAt,
    [property: Id(7)] string DestinationTimeZone);

[GenerateSerializer, Alias("oms.PromiseOutcome")]
public enum PromiseOutcome
{
    Early = 0,
    OnTime = 1,
    Late = 2,
}

/// <summary>How a delivery compared with its promise.</summary>
/// <param name="DaysOff">Calendar days before the earliest date (negative) or after the latest (positive); 0 on time.</param>
[GenerateSerializer, Immutable, Alias("oms.PromiseResult")]
public sealed record PromiseResult(
    [property: Id(0)] DateOnly DeliveredOn,
    [property: Id(1)] PromiseOutcome Outcome,
    [property: Id(2)] int DaysOff);

/// <summary>The registry of carriers: a single instance keyed <see cref="Key"/>, small and read every few seconds.</summary>
[Alias("oms.ICarrierDirectoryGrain")]
public interface ICarrierDirectoryGrain : IGrainWithStringKey
{
    const string Key = "all";

    /// <returns>true when the carrier was created, false when an existing one was replaced.</returns>
    [Alias("Upsert")]
    Task<bool> Upsert(CarrierInfo carrier);

    [ReadOnly, Alias("List")]
    Task<IReadOnlyList<CarrierInfo>> List();
}

/// <summary>Deliveries judged against their promise: how many came early, on time and late, and by how many days in all.</summary>
[GenerateSerializer, Immutable, Alias("oms.PromiseTally")]
public sealed record PromiseTally(
    [property: Id(0)] int Early,
    [property: Id(1)] int OnTime,
    [property: Id(2)] int Late,
    [property: Id(3)] int DaysEarly,
    [property: Id(4)] int DaysLate)
{
    public static PromiseTally None { get; } = new(0, 0, 0, 0, 0);

    public int Delivered => Early + OnTime + Late;

    public PromiseTally Plus(PromiseTally other) =>
        new(Early + other.Early, OnTime + other.OnTime, Late + other.Late, DaysEarly + other.DaysEarly, DaysLate + other.DaysLate);
}

[GenerateSerializer, Immutable, Alias("oms.ServicePromiseTally")]
public sealed record ServicePromiseTally([property: Id(0)] string CarrierId, [property: Id(1)] string ServiceId, [property: Id(2)] PromiseTally Tally);

[GenerateSerializer, Immutable, Alias("oms.LocationPromiseTally")]
public sealed record LocationPromiseTally([property: Id(0)] string LocationId, [property: Id(1)] PromiseTally Tally);

/// <summary>Promise keeping over delivery dates <see cref="From"/> to <see cref="To"/>, inclusive.</summary>
/// <param name="Position">The event feed position the figures include, so a reader knows how fresh they are.</param>
[GenerateSerializer, Immutable, Alias("oms.PromiseMetrics")]
public sealed record PromiseMetrics(
    [property: Id(0)] DateOnly From,
    [property: Id(1)] DateOnly To,
    [property: Id(2)] PromiseTally Total,
    [property: Id(3)] IReadOnlyList<ServicePromiseTally> ByService,
    [property: Id(4)] IReadOnlyList<LocationPromiseTally> ByLocation,
    [property: Id(5)] long Position);

/// <summary>
/// A projection of the event feed's <c>fulfilment.delivered</c> events: a single instance keyed
/// <see cref="Key"/> that catches up on every question, so no delivery is counted twice or missed.
/// </summary>
[Alias("oms.IPromiseMetricsGrain")]
public interface IPromiseMetricsGrain : IGrainWithStringKey
{
    const string Key = "all";

    [Alias("Query"), Oms.Contracts.Faults.Idempotent]
    Task<PromiseMetrics> Query(DateOnly from, DateOnly to);
}
