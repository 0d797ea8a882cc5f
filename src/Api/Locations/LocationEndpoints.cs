using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.Locations;

namespace Oms.Api.Locations;

/// <summary>Named, so the document and generated clients get a type rather than an anonymous one.</summary>
public sealed record LocationList(IReadOnlyList<LocationView> Locations);

public static class LocationEndpoints
{
    public static void MapLocations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/locations").WithTags("Locations");

        group.MapPut("/{locationId}", async (string locationId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if (Problems.InvalidId("locationId", locationId) is { } badId)
            {
                return (IResult)badId;
            }

            var body = await JsonBody.ReadAsync<LocationRequest>(http, LocationProfile.Validate, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var location = LocationProfile.ToInfo(locationId, body.Value!);
            var created = await grains.GetGrain<ILocationGrain>(locationId).Upsert(location);
            var view = LocationProfile.ToView(location);
            return created ? TypedResults.Created($"/api/v1/locations/{locationId}", view) : TypedResults.Ok(view);
        })
        .RequireAuthorization(Policies.LocationsWrite)
        .Accepts<LocationRequest>("application/json")
        .Produces<LocationView>(StatusCodes.Status200OK)
        .Produces<LocationView>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/{locationId}", async (string locationId, HttpContext http, IGrainFactory grains) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Access.AtLocation(http, locationId)) is { } badId)
            {
                return (IResult)badId;
            }

            var location = await grains.GetGrain<ILocationGrain>(locationId).Get();
            return location is null
                ? Problems.NotFound("locationId", $"location '{locationId}' is not registered.")
                : TypedResults.Ok(LocationProfile.ToView(location));
        })
        .RequireAuthorization(Policies.LocationsRead)
        .Produces<LocationView>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/", async (HttpContext http, IGrainFactory grains) =>
        {
            var all = await grains.GetGrain<ILocationDirectoryGrain>(ILocationDirectoryGrain.Key).List();
            var credential = http.Credential();
            return TypedResults.Ok(new LocationList([.. all.Where(l => credential.MayActAt(l.LocationId))
                .Select(LocationProfile.ToView)]));
        })
        .RequireAuthorization(Policies.LocationsRead)
        .Produces<LocationList>();
    }
}
