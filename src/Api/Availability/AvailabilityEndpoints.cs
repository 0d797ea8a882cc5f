using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.Availability;
using Oms.Contracts.ClickAndCollect;
using Oms.Grains.Availability;
using Oms.Grains;

namespace Oms.Api.Availability;

public sealed record AvailabilityQuery(IReadOnlyList<string> Skus);

public sealed record AvailabilityQueryResponse(IReadOnlyList<SkuAvailability> Items);

public static class AvailabilityEndpoints
{
    public const int MaxQuerySkus = 200;

    public static void MapAvailability(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/availability").WithTags("Availability").RequireAuthorization(Policies.Availability);

        // The storefront's hot path: one grain call for the SKU's view; the online rules apply here, on cached profiles.
        group.MapGet("/{sku}", async (string sku, string? view, IGrainFactory grains, ProfileCache profiles, AvailabilityRenderer renderer) =>
        {
            if (Problems.InvalidId("sku", sku) is { } badId)
            {
                return (IResult)badId;
            }

            if (ParseView(view) is not { } parsed)
            {
                return Problems.Invalid("view", "must be 'online' (the default) or 'store'.");
            }

            var raw = await grains.GetGrain<ISkuAvailabilityGrain>(sku).Get();
            return TypedResults.Bytes(renderer.Render(raw, parsed, await profiles.GetAsync()), "application/json; charset=utf-8");
        })
        .Produces<SkuAvailability>()
        .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapPost("/query", async (string? view, HttpContext http, IGrainFactory grains, ProfileCache profiles, CancellationToken ct) =>
        {
            if (ParseView(view) is not { } parsed)
            {
                return (IResult)Problems.Invalid("view", "must be 'online' (the default) or 'store'.");
            }

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

            var raw = await Task.WhenAll(skus.Distinct(StringComparer.Ordinal).Select(s => grains.GetGrain<ISkuAvailabilityGrain>(s).Get()));
            var known = await profiles.GetAsync();
            var items = raw.Select(r => AvailabilityViews.Apply(r, parsed, known)).ToList();
            return TypedResults.Ok(new AvailabilityQueryResponse(items));
        })
        .Accepts<AvailabilityQuery>("application/json")
        .WithMetadata(ReadOnlyEndpoint.Instance)
        .Produces<AvailabilityQueryResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest);
    }

    public static AvailabilityView? ParseView(string? view) => view?.ToLowerInvariant() switch
    {
        null or "online" => AvailabilityView.Online,
        "store" => AvailabilityView.Store,
        _ => null,
    };
}
