using System.Globalization;
using System.Text.Json.Serialization;
using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.Availability;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Promise;
using Oms.Grains;
using Oms.Grains.Promise;
using Oms.Grains.Sourcing;

namespace Oms.Api.Promise;

public sealed record PromiseLine(string Sku, int Quantity);

/// <param name="TimeZone">The zone delivery dates are counted in; by default that of the network's nearest location in the country, else UTC.</param>
public sealed record PromiseDestinationRequest(
    string CountryCode, string? PostalCode = null, double? Latitude = null, double? Longitude = null, string? TimeZone = null);

/// <param name="At">The moment to promise for; now when left out.</param>
public sealed record PromiseRequest(
    IReadOnlyList<PromiseLine> Lines, PromiseDestinationRequest Destination, DateTimeOffset? At = null, OrderChannel Channel = OrderChannel.Web);

/// <summary>One way the customer can get the basket: shipped by a carrier service, or collected at a boutique.</summary>
/// <param name="OrderWithin">ISO 8601: the time left to order for these dates.</param>
public sealed record PromiseOption(
    string Method,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CarrierId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ServiceId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? EarliestDelivery = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? LatestDelivery = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OrderWithin = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? ShipsFrom = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Shipments = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LocationId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? ReadyBy = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? DistanceKm = null);

public sealed record UnpromisedLine(string Sku, int Requested, int Available, string Reason);

public sealed record PromiseResponse(IReadOnlyList<PromiseOption> Options, IReadOnlyList<UnpromisedLine> Unsourced);

public sealed record ListingPromiseRequest(
    IReadOnlyList<string> Skus, PromiseDestinationRequest Destination, DateTimeOffset? At = null, OrderChannel Channel = OrderChannel.Web);

/// <summary>A product's fastest delivery; only the SKU and <c>available: false</c> when nothing can ship it there.</summary>
public sealed record ListingPromiseItem(
    string Sku,
    bool Available,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? EarliestDelivery = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? LatestDelivery = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OrderWithin = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CarrierId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ServiceId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ShipsFrom = null);

public sealed record ListingPromiseResponse(IReadOnlyList<ListingPromiseItem> Items);

/// <param name="OnTimeShare">Of the deliveries, the share within the promised window (0 to 1); null with none.</param>
public sealed record PromiseTallyView(int Delivered, int OnTime, int Early, int Late, double? OnTimeShare, double? EarlyShare, double? LateShare,
    double? AverageDaysLate, double? AverageDaysEarly)
{
    public static PromiseTallyView Of(PromiseTally t) => new(
        t.Delivered, t.OnTime, t.Early, t.Late, Share(t.OnTime, t.Delivered), Share(t.Early, t.Delivered), Share(t.Late, t.Delivered),
        t.Late == 0 ? null : Math.Round((double)t.DaysLate / t.Late, 2), t.Early == 0 ? null : Math.Round((double)t.DaysEarly / t.Early, 2));

    private static double? Share(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);
}

public sealed record ServicePromiseView(string CarrierId, string ServiceId, PromiseTallyView Deliveries);

public sealed record LocationPromiseView(string LocationId, PromiseTallyView Deliveries);

public sealed record PromiseMetricsView(
    DateOnly From, DateOnly To, long Position, PromiseTallyView Deliveries, IReadOnlyList<ServicePromiseView> ByService, IReadOnlyList<LocationPromiseView> ByLocation);

public static class PromiseEndpoints
{
    public const int MaxLines = 50;
    public const int MaxQuantity = 10_000;
    public const int MaxListingSkus = 200;
    public const int MaxPostalCodeLength = 20;
    public const int MaxMetricsDays = 366;
    public const double PickupRadiusKm = 50;
    public const int PickupOptions = 5;

    /// <summary>How far from now a promise may be asked for: a plan for next season, a replay of last year's.</summary>
    public static readonly TimeSpan MaxAtOffset = TimeSpan.FromDays(2 * 366);

    public static void MapPromise(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/promise").WithTags("Delivery promise").RequireAuthorization(Policies.Promise);

        group.MapPost("/", async (HttpContext http, IGrainFactory grains, PromiseCache cache, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow();
            var body = await JsonBody.ReadAsync<PromiseRequest>(http, r => Validate(r, now), ct);
            if (body.Problem is not null)
            {
                return (IResult)body.Problem;
            }

            var r = body.Value!;
            var at = r.At ?? now;
            var network = await cache.NetworkAsync();
            var destination = Destination(network, r.Destination);
            var lines = r.Lines.Select((l, i) => new SourcingLine($"L{i + 1}", l.Sku, l.Quantity)).ToList();
            var skus = lines.Select(l => l.Sku).Distinct(StringComparer.Ordinal).ToList();
            var views = (await Task.WhenAll(skus.Select(s => grains.GetGrain<ISkuAvailabilityGrain>(s).Get()))).ToDictionary(v => v.Sku, StringComparer.Ordinal);
            var profile = await cache.ProfileAsync($"{ChannelName(r.Channel)}-shipToHome");
            var full = await FullBoutiques(grains, network, views.Values);
            var ship = BasketPromise.Ship(network, profile, lines, views, destination, at, full);

            var options = ship.Options.Select(o => new PromiseOption(
                "shipToHome", o.CarrierId, o.ServiceId, o.EarliestDelivery, o.LatestDelivery, DeliveryPromiser.Iso(DeliveryPromiser.OrderWithin(o.OrderBy, at)),
                o.ShipsFrom, o.Shipments)).ToList();
            // As for shipping, the options are for what can be sourced; the unsourced lines are listed on their own.
            var collectable = lines.Where(l => ship.Unsourced.All(u => u.LineId != l.LineId))
                .GroupBy(l => l.Sku, StringComparer.Ordinal).Select(g => new PickupLine(g.Key, g.Sum(l => l.Quantity))).ToList();
            if (r.Destination is { Latitude: { } lat, Longitude: { } lon } && collectable.Count > 0)
            {
                var pickups = await grains.GetGrain<INetworkGrain>(0).PickupOptions(new PickupQuery(collectable, lat, lon, PickupRadiusKm, PickupOptions));
                options.AddRange(pickups.Where(p => !p.Partial).Select(p => new PromiseOption(
                    "clickAndCollect", LocationId: p.LocationId, ReadyBy: p.ReadyBy, DistanceKm: p.DistanceKm)));
            }

            return TypedResults.Ok(new PromiseResponse(options,
                [.. ship.Unsourced.Select(u => new UnpromisedLine(u.Sku, u.Requested, u.Available, u.Reason))]));
        })
        .Accepts<PromiseRequest>("application/json")
        .WithMetadata(ReadOnlyEndpoint.Instance)
        .Produces<PromiseResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapPost("/query", async (HttpContext http, PromiseCache cache, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow();
            var body = await JsonBody.ReadAsync<ListingPromiseRequest>(http, r => Validate(r, now), ct);
            if (body.Problem is not null)
            {
                return (IResult)body.Problem;
            }

            var r = body.Value!;
            var at = r.At ?? now;
            var network = await cache.NetworkAsync();
            var profile = await cache.ProfileAsync($"{ChannelName(r.Channel)}-shipToHome");
            var views = await cache.ListingViewsAsync(r.Skus);
            var listing = new ListingPromise(network, profile, Destination(network, r.Destination), at);
            var promises = new ShipPromise?[r.Skus.Count];
            for (var i = 0; i < promises.Length; i++)
            {
                promises[i] = listing.For(r.Skus[i], views[i]);
            }

            return TypedResults.Bytes(ListingPromiseRenderer.Render(r.Skus, promises, at), "application/json; charset=utf-8");
        })
        .Accepts<ListingPromiseRequest>("application/json")
        .WithMetadata(ReadOnlyEndpoint.Instance)
        .Produces<ListingPromiseResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest);

        app.MapGet("/api/v1/metrics/promise", async (string? from, string? to, IGrainFactory grains, TimeProvider clock) =>
        {
            var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
            if (ParseDate("to", to, today, out var last) is { } badTo)
            {
                return (IResult)Problems.Invalid(badTo);
            }

            if (ParseDate("from", from, last.AddDays(-29), out var first) is { } badFrom)
            {
                return Problems.Invalid(badFrom);
            }

            if (first > last || last.DayNumber - first.DayNumber >= MaxMetricsDays)
            {
                return Problems.Invalid("from", $"must be on or before to, and at most {MaxMetricsDays} days before it.");
            }

            var m = await grains.GetGrain<IPromiseMetricsGrain>(IPromiseMetricsGrain.Key).Query(first, last);
            return TypedResults.Ok(new PromiseMetricsView(m.From, m.To, m.Position, PromiseTallyView.Of(m.Total),
                [.. m.ByService.Select(s => new ServicePromiseView(s.CarrierId, s.ServiceId, PromiseTallyView.Of(s.Tally)))],
                [.. m.ByLocation.Select(l => new LocationPromiseView(l.LocationId, PromiseTallyView.Of(l.Tally)))]));
        })
        .WithTags("Delivery promise")
        .RequireAuthorization(Policies.PromiseMetrics)
        .Produces<PromiseMetricsView>()
        .ProducesProblem(StatusCodes.Status400BadRequest);
    }

    private static string ChannelName(OrderChannel channel) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(channel.ToString());

    private static PromiseDestination Destination(PromiseNetwork network, PromiseDestinationRequest d) =>
        network.Destination(d.CountryCode, d.Latitude, d.Longitude, d.TimeZone);

    /// <summary>Boutiques in play whose ship-from-store capacity for today is used up: their promise moves to the next day.</summary>
    private static async Task<Func<string, DateOnly, bool>?> FullBoutiques(IGrainFactory grains, PromiseNetwork network, IEnumerable<SkuAvailability> views)
    {
        var capped = views.SelectMany(v => v.Locations).Where(l => l.Available > 0).Select(l => l.LocationId).Distinct()
            .Where(id => network.LocationsById.TryGetValue(id, out var l) && l.Type == LocationType.Boutique && l.DailyShipCapacity is not null)
            .ToList();
        if (capped.Count == 0)
        {
            return null;
        }

        var loads = await Task.WhenAll(capped.Select(id => grains.GetGrain<ILocationGrain>(id).GetShipLoad()));
        var full = capped.Zip(loads).Where(x => x.Second.Capacity is { } cap && x.Second.Assigned >= cap).ToDictionary(x => x.First, x => x.Second.Day, StringComparer.Ordinal);
        return full.Count == 0 ? null : (location, day) => full.TryGetValue(location, out var fullOn) && fullOn == day;
    }

    private static FieldError? Validate(PromiseRequest r, DateTimeOffset now)
    {
        if (r.Lines.Count is 0 or > MaxLines)
        {
            return new("lines", $"must hold 1 to {MaxLines} lines.");
        }

        for (var i = 0; i < r.Lines.Count; i++)
        {
            if (r.Lines[i] is not { } line)
            {
                return new($"lines[{i}]", "must be an object with sku and quantity.");
            }

            if (FieldError.ForId($"lines[{i}].sku", line.Sku) is { } badSku)
            {
                return badSku;
            }

            if (line.Quantity is < 1 or > MaxQuantity)
            {
                return new($"lines[{i}].quantity", $"must be between 1 and {MaxQuantity}.");
            }
        }

        return ValidateDestination(r.Destination) ?? ValidateAt(r.At, now);
    }

    private static FieldError? Validate(ListingPromiseRequest r, DateTimeOffset now)
    {
        if (r.Skus.Count is 0 or > MaxListingSkus)
        {
            return new("skus", $"must hold 1 to {MaxListingSkus} SKUs.");
        }

        for (var i = 0; i < r.Skus.Count; i++)
        {
            if (FieldError.ForId($"skus[{i}]", r.Skus[i]) is { } badSku)
            {
                return badSku;
            }
        }

        return ValidateDestination(r.Destination) ?? ValidateAt(r.At, now);
    }

    private static FieldError? ValidateDestination(PromiseDestinationRequest d)
    {
        if (FieldError.ForCountryCode("destination.countryCode", d.CountryCode) is { } badCountry)
        {
            return badCountry;
        }

        if (FieldError.ForText("destination.postalCode", d.PostalCode, MaxPostalCodeLength, required: false) is { } badPostal)
        {
            return badPostal;
        }

        if (d.Latitude is null != d.Longitude is null)
        {
            return new(d.Latitude is null ? "destination.latitude" : "destination.longitude", "give both latitude and longitude, or neither.");
        }

        if (d.Latitude is { } lat && (!double.IsFinite(lat) || lat is < -90 or > 90))
        {
            return new("destination.latitude", "must be between -90 and 90.");
        }

        if (d.Longitude is { } lon && (!double.IsFinite(lon) || lon is < -180 or > 180))
        {
            return new("destination.longitude", "must be between -180 and 180.");
        }

        return d.TimeZone is not null && !(d.TimeZone.Length <= 64 && TimeZoneInfo.TryFindSystemTimeZoneById(d.TimeZone, out var zone) && zone.HasIanaId)
            ? new("destination.timeZone", "must be an IANA time zone, such as Europe/Paris.")
            : null;
    }

    private static FieldError? ValidateAt(DateTimeOffset? at, DateTimeOffset now) =>
        at is { } when && (when < now - MaxAtOffset || when > now + MaxAtOffset)
            ? new("at", $"must be within {MaxAtOffset.Days} days of now.")
            : null;

    private static FieldError? ParseDate(string field, string? text, DateOnly fallback, out DateOnly date)
    {
        date = fallback;
        return text is null || DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date)
            ? null
            : new FieldError(field, "must be a date as yyyy-MM-dd.");
    }
}
