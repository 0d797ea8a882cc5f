using System.Globalization;
using Oms.Api.Http;
using Oms.Contracts.Locations;
using Oms.Grains;

namespace Oms.Api.Locations;

public sealed record LocationRequest(
    string Name,
    LocationType Type,
    double Latitude,
    double Longitude,
    string? CountryCode = null,
    string? TimeZone = null);

public static class LocationEndpoints
{
    public const int MaxNameLength = 200;

    public static void MapLocations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/locations").WithTags("Locations");

        group.MapPut("/{locationId}", async (string locationId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if (Problems.InvalidId("locationId", locationId) is { } badId)
            {
                return (IResult)badId;
            }

            var body = await JsonBody.ReadAsync<LocationRequest>(http, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            if (Validate(body.Value!) is { } error)
            {
                return Problems.Invalid(error);
            }

            var request = body.Value!;
            var location = new LocationInfo(
                locationId, request.Name.Trim(), request.Type, request.Latitude, request.Longitude,
                request.CountryCode?.ToUpperInvariant(), request.TimeZone);
            var created = await grains.GetGrain<ILocationGrain>(locationId).Upsert(location);
            return created
                ? TypedResults.Created($"/api/v1/locations/{locationId}", location)
                : TypedResults.Ok(location);
        })
        .Accepts<LocationRequest>("application/json")
        .Produces<LocationInfo>(StatusCodes.Status200OK)
        .Produces<LocationInfo>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/{locationId}", async (string locationId, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("locationId", locationId) is { } badId)
            {
                return (IResult)badId;
            }

            var location = await grains.GetGrain<ILocationGrain>(locationId).Get();
            return location is null
                ? Problems.NotFound("locationId", $"location '{locationId}' is not registered.")
                : TypedResults.Ok(location);
        })
        .Produces<LocationInfo>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/", async (IGrainFactory grains) =>
            TypedResults.Ok(new { locations = await grains.GetGrain<ILocationDirectoryGrain>(ILocationDirectoryGrain.Key).List() }));
    }

    public static FieldError? Validate(LocationRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaxNameLength)
        {
            return new("name", $"must be 1 to {MaxNameLength} characters.");
        }

        if (!double.IsFinite(request.Latitude) || request.Latitude is < -90 or > 90)
        {
            return new("latitude", "must be between -90 and 90.");
        }

        if (!double.IsFinite(request.Longitude) || request.Longitude is < -180 or > 180)
        {
            return new("longitude", "must be between -180 and 180.");
        }

        if (request.CountryCode is not null && !IsCountryCode(request.CountryCode))
        {
            return new("countryCode", "must be an ISO 3166-1 alpha-2 code, such as FR.");
        }

        if (request.TimeZone is not null && !IsTimeZone(request.TimeZone))
        {
            return new("timeZone", "must be an IANA time zone, such as Europe/Paris.");
        }

        return null;
    }

    private static bool IsCountryCode(string code)
    {
        if (code.Length != 2 || !code.All(char.IsAsciiLetter))
        {
            return false;
        }

        try
        {
            _ = new RegionInfo(code);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool IsTimeZone(string id) =>
        id.Length <= 64 && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId;
}
