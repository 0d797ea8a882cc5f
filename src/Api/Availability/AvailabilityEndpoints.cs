using Oms.Api.Http;
using Oms.Contracts.Availability;
using Oms.Grains;

namespace Oms.Api.Availability;

public sealed record AvailabilityQuery(IReadOnlyList<string> Skus);

public sealed record AvailabilityQueryResponse(IReadOnlyList<SkuAvailability> Items);

public static class AvailabilityEndpoints
{
    public const int MaxQuerySkus = 200;

    public static void MapAvailability(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/availability").WithTags("Availability");

        // The storefront's hot path: one grain call, answered from memory.
        group.MapGet("/{sku}", async (string sku, IGrainFactory grains) =>
            Problems.InvalidId("sku", sku) is { } badId
                ? (IResult)badId
                : TypedResults.Ok(await grains.GetGrain<ISkuAvailabilityGrain>(sku).Get()))
        .Produces<SkuAvailability>()
        .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapPost("/query", async (HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync<AvailabilityQuery>(http, ct);
            if (body.Problem is not null)
            {
                return (IResult)body.Problem;
            }

            var skus = body.Value!.Skus;
            if (skus.Count is 0 or > MaxQuerySkus)
            {
                return Problems.Invalid("skus", $"must hold 1 to {MaxQuerySkus} SKUs.");
            }

            for (var i = 0; i < skus.Count; i++)
            {
                if (FieldError.ForId($"skus[{i}]", skus[i]) is { } error)
                {
                    return Problems.Invalid(error);
                }
            }

            var items = await Task.WhenAll(skus.Distinct(StringComparer.Ordinal).Select(s => grains.GetGrain<ISkuAvailabilityGrain>(s).Get()));
            return TypedResults.Ok(new AvailabilityQueryResponse(items));
        })
        .Accepts<AvailabilityQuery>("application/json")
        .Produces<AvailabilityQueryResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest);
    }
}
