using System.ComponentModel.DataAnnotations;
using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts;
using Oms.Contracts.Stock;
using Oms.Grains;
using Oms.Grains.Reservations;

namespace Oms.Api.Stock;

/// <param name="CustomerId">Optional: the buyer the hold is for; then only an order for that customer can use it.</param>
public sealed record PlaceHoldRequest(
    string HoldId,
    [property: Range(1, ReservationRules.MaxQuantity)] int Quantity,
    [property: Range(ReservationRules.MinTtlSeconds, ReservationRules.MaxTtlSeconds)] int TtlSeconds = 900,
    string? CustomerId = null);

/// <param name="Available">What the item has left to promise after this hold; only on placement.</param>
public sealed record StockHoldResponse(
    string HoldId, string Sku, string LocationId, HoldStatus Status, int Quantity, DateTimeOffset ExpiresAt,
    DateTimeOffset? PlacedAt, DateTimeOffset? EndedAt, int? Available, string? CustomerId = null);

/// <summary>
/// Holds placed directly on one SKU at one location: the flash-sale path. The stock item is the only party, so
/// a hold costs a share of the item's group-committed ledger append and nothing else: no reservation record,
/// no second grain. A hold id is scoped to its item, and checkout converts it through the order line's
/// <c>hold</c>. Baskets that must hold several items all or nothing use <c>/reservations</c>.
/// </summary>
public static class HoldEndpoints
{
    public static void MapStockHolds(this IEndpointRouteBuilder app)
    {
        var holds = app.MapGroup("/api/v1/locations/{locationId}/stock/{sku}/holds").WithTags("Stock holds")
            .RequireAuthorization(Policies.Holds);

        holds.MapPost("/", async (string locationId, string sku, HttpContext http, IGrainFactory grains, TimeProvider clock, CancellationToken ct) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Problems.InvalidId("sku", sku) ?? Access.AtLocation(http, locationId)) is { } badId)
            {
                return (IResult)badId;
            }

            var body = await JsonBody.ReadAsync<PlaceHoldRequest>(http, Validate, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var request = body.Value!;
            var expiresAt = clock.GetUtcNow().AddSeconds(request.TtlSeconds);
            var result = await Item(grains, locationId, sku).PlaceHold(Ids.StockHoldReference(request.HoldId), request.Quantity, expiresAt, request.CustomerId);
            return result.Outcome switch
            {
                HoldOutcome.Held => TypedResults.Created(
                    $"/api/v1/locations/{locationId}/stock/{sku}/holds/{request.HoldId}", Placed(request, locationId, sku, result)),
                HoldOutcome.AlreadyHeld => TypedResults.Ok(Placed(request, locationId, sku, result)),
                HoldOutcome.UnknownLocation => Problems.NotFound("locationId", $"location '{locationId}' is not registered."),
                HoldOutcome.Insufficient => Problems.Conflict(
                    "Not enough stock to hold.",
                    $"{request.Quantity} requested, {result.Available} available to promise.",
                    new Dictionary<string, object?>
                    {
                        ["available"] = result.Available,
                        ["errors"] = new Dictionary<string, string[]> { ["quantity"] = [$"only {result.Available} available."] },
                    }),
                _ => Problems.Conflict(
                    "The hold id is already used.",
                    $"Hold '{request.HoldId}' exists here with another quantity or customer, or has already ended; use a new holdId.",
                    "holdId", "already used here by a different or ended hold."),
            };
        })
        .Accepts<PlaceHoldRequest>("application/json")
        .Produces<StockHoldResponse>(StatusCodes.Status201Created)
        .Produces<StockHoldResponse>(StatusCodes.Status200OK)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

        holds.MapGet("/{holdId}", async (string locationId, string sku, string holdId, HttpContext http, IGrainFactory grains) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Problems.InvalidId("sku", sku) ?? Problems.InvalidId("holdId", holdId)
                ?? Access.AtLocation(http, locationId)) is { } badId)
            {
                return (IResult)badId;
            }

            var hold = await Item(grains, locationId, sku).GetHold(Ids.StockHoldReference(holdId));
            return hold is null
                ? Problems.NotFound("holdId", $"hold '{holdId}' was never placed on {sku} at {locationId}.")
                : TypedResults.Ok(View(holdId, locationId, sku, hold));
        })
        .Produces<StockHoldResponse>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        // Idempotent: releasing again, or after expiry, answers with the hold as it ended.
        holds.MapDelete("/{holdId}", async (string locationId, string sku, string holdId, HttpContext http, IGrainFactory grains) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Problems.InvalidId("sku", sku) ?? Problems.InvalidId("holdId", holdId)
                ?? Access.AtLocation(http, locationId)) is { } badId)
            {
                return (IResult)badId;
            }

            var item = Item(grains, locationId, sku);
            var reference = Ids.StockHoldReference(holdId);
            await item.ReleaseHold(reference);
            var hold = await item.GetHold(reference);
            return hold is null
                ? Problems.NotFound("holdId", $"hold '{holdId}' was never placed on {sku} at {locationId}.")
                : TypedResults.Ok(View(holdId, locationId, sku, hold));
        })
        .Produces<StockHoldResponse>()
        .ProducesProblem(StatusCodes.Status404NotFound);
    }

    public static FieldError? Validate(PlaceHoldRequest request)
    {
        if (FieldError.ForId("holdId", request.HoldId) is { } badId)
        {
            return badId;
        }

        if (request.Quantity is < 1 or > ReservationRules.MaxQuantity)
        {
            return new("quantity", $"must be between 1 and {ReservationRules.MaxQuantity}.");
        }

        if (request.CustomerId is not null && FieldError.ForId("customerId", request.CustomerId) is { } badCustomer)
        {
            return badCustomer;
        }

        if (request.TtlSeconds is < ReservationRules.MinTtlSeconds or > ReservationRules.MaxTtlSeconds)
        {
            return new("ttlSeconds", $"must be between {ReservationRules.MinTtlSeconds} and {ReservationRules.MaxTtlSeconds}.");
        }

        return null;
    }

    private static IStockItemGrain Item(IGrainFactory grains, string locationId, string sku) =>
        grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(locationId, sku));

    private static StockHoldResponse Placed(PlaceHoldRequest request, string locationId, string sku, HoldResult result) =>
        new(request.HoldId, sku, locationId, HoldStatus.Held, request.Quantity, result.ExpiresAt!.Value, result.PlacedAt, null, result.Available, request.CustomerId);

    private static StockHoldResponse View(string holdId, string locationId, string sku, StockHoldView hold) =>
        new(holdId, sku, locationId, hold.Status, hold.Quantity, hold.ExpiresAt, hold.PlacedAt, hold.EndedAt, null, hold.CustomerId);
}
