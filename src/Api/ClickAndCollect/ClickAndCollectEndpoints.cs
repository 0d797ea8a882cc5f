using System.Globalization;
using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;
using Oms.Grains;

namespace Oms.Api.ClickAndCollect;

public sealed record BasketLine(string Sku, int Quantity);

public sealed record BasketOptionsRequest(IReadOnlyList<BasketLine> Lines, double Lat, double Lon, double RadiusKm = 50, int Limit = 10);

public sealed record PickupOptionsResponse(IReadOnlyList<PickupOption> Options);

public sealed record BoutiqueStockItem(string Sku, int OnHand, BoutiqueAvailable Available);

public sealed record BoutiqueAvailable(int Store, int Online);

public sealed record BoutiqueStockResponse(string LocationId, IReadOnlyList<BoutiqueStockItem> Items, string? Next);

public static class ClickAndCollectEndpoints
{
    public const double MaxRadiusKm = 500;
    public const int MaxOptions = 50;
    public const int MaxBasketLines = 50;
    public const int MaxQuantity = 10_000;
    public const int MaxStockPage = 500;
    public const int MaxSkusPerLookup = 200;

    public static void MapClickAndCollect(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/boutiques/{locationId}/stock", async (string locationId, string? skus, string? cursor, string? limit, HttpContext http, IGrainFactory grains) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Access.AtLocation(http, locationId)) is { } badId)
            {
                return (IResult)badId;
            }

            IReadOnlyList<string>? listed = null;
            if (skus is not null)
            {
                listed = skus.Split(',', StringSplitOptions.TrimEntries);
                if (listed.Count > MaxSkusPerLookup)
                {
                    return Problems.Invalid("skus", $"at most {MaxSkusPerLookup} SKUs.");
                }

                if (listed.Select((s, i) => FieldError.ForId($"skus[{i}]", s)).FirstOrDefault(e => e is not null) is { } error)
                {
                    return Problems.Invalid(error);
                }
            }

            if (cursor is not null && Problems.InvalidId("cursor", cursor) is { } badCursor)
            {
                return badCursor;
            }

            var pageSize = 100;
            if (limit is not null && (!int.TryParse(limit, out pageSize) || pageSize is < 1 or > MaxStockPage))
            {
                return Problems.Invalid("limit", $"must be a whole number between 1 and {MaxStockPage}.");
            }

            var page = await grains.GetGrain<ILocationGrain>(locationId).GetStock(listed?.Distinct(StringComparer.Ordinal).ToList(), cursor, pageSize);
            if (page.Location is not { Type: LocationType.Boutique } boutique)
            {
                return Problems.NotFound("locationId", $"boutique '{locationId}' is not registered.");
            }

            var entries = page.Items.ToList();
            if (listed is not null)
            {
                // SKUs the boutique's index has not heard from since it activated: ask their stock items (at most 200).
                var missing = listed.Distinct(StringComparer.Ordinal).Except(entries.Select(e => e.Sku)).ToList();
                var levels = await Task.WhenAll(missing.Select(sku => grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(locationId, sku)).GetLevel()));
                entries.AddRange(levels.Select(l => new LocationStockEntry(l.Sku, l.OnHand, l.Available)));
                entries = [.. listed.Distinct(StringComparer.Ordinal).Select(sku => entries.First(e => e.Sku == sku))];
            }

            var items = entries.Select(i => new BoutiqueStockItem(i.Sku, i.OnHand, new BoutiqueAvailable(
                i.Available, boutique.OnlineAvailable(i.Sku, i.Available, LocationCapability.ShipToCustomer)))).ToList();
            return TypedResults.Ok(new BoutiqueStockResponse(locationId, items, page.Next));
        })
        .WithTags("Boutiques")
        .RequireAuthorization(Policies.BoutiqueStock)
        .Produces<BoutiqueStockResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);

        var options = app.MapGroup("/api/v1/click-and-collect/options").WithTags("Click and collect")
            .RequireAuthorization(Policies.ClickAndCollect);

        options.MapGet("/", async (HttpRequest request, IGrainFactory grains) =>
        {
            var q = request.Query;
            if (FieldError.ForId("sku", q["sku"]) is { } badSku)
            {
                return (IResult)Problems.Invalid(badSku);
            }

            if (ParseInt(q["quantity"], 1, 1, MaxQuantity, "quantity", out var quantity) is { } e1)
            {
                return Problems.Invalid(e1);
            }

            if (ParseGeo(q["lat"], q["lon"], q["radiusKm"], q["limit"], out var geo) is { } e2)
            {
                return Problems.Invalid(e2);
            }

            var found = await grains.GetGrain<INetworkGrain>(0).PickupOptions(
                new PickupQuery([new PickupLine(q["sku"]!, quantity)], geo.Lat, geo.Lon, geo.RadiusKm, geo.Limit));
            return TypedResults.Ok(new PickupOptionsResponse(found));
        })
        .Produces<PickupOptionsResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest);

        options.MapPost("/", async (HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync<BasketOptionsRequest>(http, Validate, ct);
            if (body.Problem is not null)
            {
                return (IResult)body.Problem;
            }

            var basket = body.Value!;

            var found = await grains.GetGrain<INetworkGrain>(0).PickupOptions(new PickupQuery(
                [.. basket.Lines.Select(l => new PickupLine(l.Sku, l.Quantity))], basket.Lat, basket.Lon, basket.RadiusKm, basket.Limit));
            return TypedResults.Ok(new PickupOptionsResponse(found));
        })
        .Accepts<BasketOptionsRequest>("application/json")
        .WithMetadata(ReadOnlyEndpoint.Instance)
        .Produces<PickupOptionsResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest);
    }

    public static FieldError? Validate(BasketOptionsRequest basket)
    {
        if (basket.Lines.Count is 0 or > MaxBasketLines)
        {
            return new("lines", $"must hold 1 to {MaxBasketLines} lines.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < basket.Lines.Count; i++)
        {
            if (FieldError.ForId($"lines[{i}].sku", basket.Lines[i].Sku) is { } badSku)
            {
                return badSku;
            }

            if (!seen.Add(basket.Lines[i].Sku))
            {
                return new($"lines[{i}].sku", "appears on an earlier line; merge the quantities.");
            }

            if (basket.Lines[i].Quantity is < 1 or > MaxQuantity)
            {
                return new($"lines[{i}].quantity", $"must be between 1 and {MaxQuantity}.");
            }
        }

        return GeoError(basket.Lat, basket.Lon, basket.RadiusKm, basket.Limit, latField: "lat", lonField: "lon");
    }

    private static FieldError? ParseGeo(string? lat, string? lon, string? radius, string? limit, out (double Lat, double Lon, double RadiusKm, int Limit) geo)
    {
        geo = default;
        if (!TryDouble(lat, out var la))
        {
            return new("lat", "is required: a latitude between -90 and 90.");
        }

        if (!TryDouble(lon, out var lo))
        {
            return new("lon", "is required: a longitude between -180 and 180.");
        }

        var r = 50.0;
        if (radius is not null && !TryDouble(radius, out r))
        {
            return new("radiusKm", $"must be a number above 0 and at most {MaxRadiusKm}.");
        }

        if (ParseInt(limit, 10, 1, MaxOptions, "limit", out var n) is { } badLimit)
        {
            return badLimit;
        }

        geo = (la, lo, r, n);
        return GeoError(la, lo, r, n, "lat", "lon");
    }

    private static FieldError? GeoError(double lat, double lon, double radiusKm, int limit, string latField, string lonField)
    {
        if (!double.IsFinite(lat) || lat is < -90 or > 90)
        {
            return new(latField, "must be between -90 and 90.");
        }

        if (!double.IsFinite(lon) || lon is < -180 or > 180)
        {
            return new(lonField, "must be between -180 and 180.");
        }

        if (!double.IsFinite(radiusKm) || radiusKm <= 0 || radiusKm > MaxRadiusKm)
        {
            return new("radiusKm", $"must be above 0 and at most {MaxRadiusKm}.");
        }

        if (limit is < 1 or > MaxOptions)
        {
            return new("limit", $"must be between 1 and {MaxOptions}.");
        }

        return null;
    }

    private static FieldError? ParseInt(string? text, int fallback, int min, int max, string field, out int value)
    {
        value = fallback;
        if (text is not null && (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) || value < min || value > max))
        {
            return new(field, $"must be a whole number between {min} and {max}.");
        }

        return null;
    }

    private static bool TryDouble(string? text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
