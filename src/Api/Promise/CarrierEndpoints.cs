using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.Promise;

namespace Oms.Api.Promise;

public static class CarrierEndpoints
{
    public static void MapCarriers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/carriers").WithTags("Carriers");

        group.MapPut("/{carrierId}", async (string carrierId, HttpContext http, IGrainFactory grains, PromiseCache cache, CancellationToken ct) =>
        {
            if (Problems.InvalidId("carrierId", carrierId) is { } badId)
            {
                return (IResult)badId;
            }

            var body = await JsonBody.ReadAsync<CarrierRequest>(http, CarrierProfile.Validate, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var carrier = CarrierProfile.ToInfo(carrierId, body.Value!);
            var created = await grains.GetGrain<ICarrierDirectoryGrain>(ICarrierDirectoryGrain.Key).Upsert(carrier);
            // This node answers its next promise with the change; other nodes within their refresh period.
            cache.Invalidate();
            var view = CarrierProfile.ToView(carrier);
            return created ? TypedResults.Created($"/api/v1/carriers/{carrierId}", view) : TypedResults.Ok(view);
        })
        .RequireAuthorization(Policies.CarriersWrite)
        .Accepts<CarrierRequest>("application/json")
        .Produces<CarrierView>(StatusCodes.Status200OK)
        .Produces<CarrierView>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/{carrierId}", async (string carrierId, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("carrierId", carrierId) is { } badId)
            {
                return (IResult)badId;
            }

            var all = await grains.GetGrain<ICarrierDirectoryGrain>(ICarrierDirectoryGrain.Key).List();
            return all.FirstOrDefault(c => c.CarrierId == carrierId) is { } carrier
                ? TypedResults.Ok(CarrierProfile.ToView(carrier))
                : Problems.NotFound("carrierId", $"carrier '{carrierId}' is not registered.");
        })
        .RequireAuthorization(Policies.CarriersRead)
        .Produces<CarrierView>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/", async (IGrainFactory grains) =>
            TypedResults.Ok(new CarrierList([.. (await grains.GetGrain<ICarrierDirectoryGrain>(ICarrierDirectoryGrain.Key).List()).Select(CarrierProfile.ToView)])))
        .RequireAuthorization(Policies.CarriersRead)
        .Produces<CarrierList>();
    }
}
