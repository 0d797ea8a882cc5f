using System.ComponentModel.DataAnnotations;
using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;
using Oms.Grains;
using Oms.Grains.Stock;

namespace Oms.Api.Stock;

public sealed record StockSnapshotItem(
    string Sku,
    [property: Range(0, StockPosition.MaxOnHand)] int OnHand,
    [property: Range(0, StockPosition.MaxOnHand)] int? SafetyStock = null);

/// <param name="Reset">The feed restarted its numbering: apply whatever the sequence, backwards included.</param>
public sealed record StockSnapshotRequest(
    [property: Range(typeof(long), "0", "1000000000000000")] long Sequence,
    [property: Length(1, StockEndpoints.MaxSnapshotItems)] IReadOnlyList<StockSnapshotItem> Items,
    bool Reset = false);

public sealed record IgnoredItem(string Sku, long LastSequence, string Reason);

public sealed record StockSnapshotResponse(
    string LocationId, long Sequence, IReadOnlyList<string> Applied, IReadOnlyList<IgnoredItem> Ignored, IReadOnlyList<StockLevel> Items);

public sealed record AdjustmentRequest(
    string AdjustmentId, string LocationId, string Sku,
    [property: Range(-StockPosition.MaxOnHand, StockPosition.MaxOnHand)] int Delta,
    [property: MaxLength(StockEndpoints.MaxReasonLength)] string? Reason = null);

public sealed record AdjustmentResponse(string AdjustmentId, StockOutcome Outcome, StockLevel Level);

/// <param name="Anomalies">Figures no accepted command could produce, such as on hand below zero; any makes the status inconsistent.</param>
public sealed record VerifyResponse(
    string Sku, string LocationId, string Status, long Sequence, string Live, string Replayed, IReadOnlyList<string> Anomalies);

public static class StockEndpoints
{
    public const int MaxSnapshotItems = 1_000;
    public const int MaxUnits = StockPosition.MaxOnHand;
    public const int MaxReasonLength = 200;
    public const int MaxLedgerPage = 1_000;

    public static void MapStock(this IEndpointRouteBuilder app)
    {
        var stock = app.MapGroup("/api/v1").WithTags("Stock");

        stock.MapPut("/locations/{locationId}/stock", async (string locationId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Access.AtLocation(http, locationId)) is { } notAllowed)
            {
                return (IResult)notAllowed;
            }

            var body = await JsonBody.ReadAsync<StockSnapshotRequest>(http, Validate, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var request = body.Value!;

            if (await grains.GetGrain<ILocationGrain>(locationId).Get() is null)
            {
                return Problems.NotFound("locationId", $"location '{locationId}' is not registered.");
            }

            // Each SKU is its own grain, so the items of one feed message apply in parallel.
            var results = await Task.WhenAll(request.Items.Select(item =>
                grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(locationId, item.Sku))
                    .ApplySnapshot(request.Sequence, item.OnHand, item.SafetyStock, request.Reset)));

            var applied = new List<string>();
            var ignored = new List<IgnoredItem>();
            var refused = new Dictionary<string, List<string>>();
            for (var i = 0; i < results.Length; i++)
            {
                var sku = request.Items[i].Sku;
                switch (results[i].Outcome)
                {
                    case StockOutcome.Applied:
                        applied.Add(sku);
                        break;
                    case StockOutcome.Duplicate:
                        ignored.Add(new IgnoredItem(sku, results[i].LastSequence, "duplicate"));
                        break;
                    case StockOutcome.Conflict:
                        Refuse(refused, $"items[{i}].onHand", results[i].Reason!);
                        break;
                    case StockOutcome.TooFarAhead:
                        Refuse(refused, "sequence", $"{sku}: {results[i].Reason}");
                        break;
                    default:
                        ignored.Add(new IgnoredItem(sku, results[i].LastSequence, "stale"));
                        break;
                }
            }

            if (refused.Count > 0)
            {
                // Each item is its own position, so the others were applied; the feed learns which, and a resend
                // of the corrected message finds them duplicates.
                return Problems.Conflict("Some items were refused; they are unchanged.",
                    string.Join(" ", refused.Values.SelectMany(m => m)),
                    new Dictionary<string, object?>
                    {
                        ["errors"] = refused.ToDictionary(r => r.Key, r => r.Value.ToArray()),
                        ["applied"] = applied,
                    });
            }

            return TypedResults.Ok(new StockSnapshotResponse(locationId, request.Sequence, applied, ignored, [.. results.Select(r => r.Level)]));
        })
        .RequireAuthorization(Policies.StockFeeds)
        .Accepts<StockSnapshotRequest>("application/json")
        .Produces<StockSnapshotResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

        stock.MapPost("/stock/adjustments", async (HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync<AdjustmentRequest>(http, Validate, ct);
            if (body.Problem is not null)
            {
                return (IResult)body.Problem;
            }

            var request = body.Value!;
            if (Access.AtLocation(http, request.LocationId) is { } elsewhere)
            {
                return elsewhere;
            }

            var result = await grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(request.LocationId, request.Sku))
                .ApplyAdjustment(request.AdjustmentId, request.Delta, request.Reason);
            return result.Outcome switch
            {
                StockOutcome.UnknownLocation => Problems.Invalid("locationId", result.Reason!, StatusCodes.Status422UnprocessableEntity),
                StockOutcome.Rejected => Problems.Conflict("The adjustment was refused.", result.Reason!, "delta", result.Reason!),
                StockOutcome.Conflict => Problems.Conflict("The adjustment id was already used.", result.Reason!, "adjustmentId", result.Reason!),
                _ => TypedResults.Ok(new AdjustmentResponse(request.AdjustmentId, result.Outcome, result.Level)),
            };
        })
        .RequireAuthorization(Policies.StockFeeds)
        .Accepts<AdjustmentRequest>("application/json")
        .Produces<AdjustmentResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        stock.MapGet("/locations/{locationId}/stock/{sku}", async (string locationId, string sku, HttpContext http, IGrainFactory grains) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Problems.InvalidId("sku", sku) ?? Access.AtLocation(http, locationId)) is { } badId)
            {
                return (IResult)badId;
            }

            var (unknown, level) = await Find(grains, locationId, sku);
            return unknown ?? TypedResults.Ok(level);
        })
        .RequireAuthorization(Policies.StockRead)
        .Produces<StockLevel>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        // Reconciliation: the movements behind a position, and a replay that proves the position is their fold.
        stock.MapGet("/locations/{locationId}/stock/{sku}/ledger", async (string locationId, string sku, string? after, string? limit, HttpContext http, IGrainFactory grains) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Problems.InvalidId("sku", sku) ?? Access.AtLocation(http, locationId)) is { } badId)
            {
                return (IResult)badId;
            }

            // Parsed here rather than bound, so a malformed value is a problem naming it, not a bare 400.
            long afterSequence = 0;
            if (after is not null && (!long.TryParse(after, out afterSequence) || afterSequence < 0))
            {
                return Problems.Invalid("after", "must be a whole number, zero or more.");
            }

            var pageSize = 100;
            if (limit is not null && (!int.TryParse(limit, out pageSize) || pageSize is < 1 or > MaxLedgerPage))
            {
                return Problems.Invalid("limit", $"must be a whole number between 1 and {MaxLedgerPage}.");
            }

            return (await Find(grains, locationId, sku)).Unknown
                ?? TypedResults.Ok(await grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(locationId, sku)).GetLedger(afterSequence, pageSize));
        })
        .RequireAuthorization(Policies.StockRead)
        .Produces<LedgerPage>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);

        stock.MapPost("/locations/{locationId}/stock/{sku}/verify", async (string locationId, string sku, IGrainFactory grains) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Problems.InvalidId("sku", sku)) is { } badId)
            {
                return (IResult)badId;
            }

            if ((await Find(grains, locationId, sku)).Unknown is { } unknown)
            {
                return unknown;
            }

            var result = await grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(locationId, sku)).Verify();
            return TypedResults.Ok(new VerifyResponse(
                result.Sku, result.LocationId, result.Consistent ? "consistent" : "inconsistent", result.Sequence, result.Live, result.Replayed,
                result.Anomalies ?? []));
        })
        .RequireAuthorization(Policies.StockVerify)
        .WithMetadata(ReadOnlyEndpoint.Instance)
        .Produces<VerifyResponse>()
        .ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>The position, or a 404 naming what is unknown: the location, or the SKU when it was never stocked there.</summary>
    private static async Task<(IResult? Unknown, StockLevel? Level)> Find(IGrainFactory grains, string locationId, string sku)
    {
        if (await grains.GetGrain<ILocationGrain>(locationId).Get() is null)
        {
            return (Problems.NotFound("locationId", $"location '{locationId}' is not registered."), null);
        }

        var level = await grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(locationId, sku)).FindLevel();
        return level is null ? (Problems.NotFound("sku", $"'{sku}' was never stocked at '{locationId}'."), null) : (null, level);
    }

    private static void Refuse(Dictionary<string, List<string>> refused, string field, string message)
    {
        if (!refused.TryGetValue(field, out var messages))
        {
            refused[field] = messages = [];
        }

        messages.Add(message);
    }

    public static FieldError? Validate(StockSnapshotRequest request)
    {
        if (request.Sequence is < 0 or > StockPosition.MaxFeedSequence)
        {
            return new("sequence", $"must be between 0 and {StockPosition.MaxFeedSequence}.");
        }

        if (request.Items.Count is 0 or > MaxSnapshotItems)
        {
            return new("items", $"must hold 1 to {MaxSnapshotItems} items.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Items.Count; i++)
        {
            var item = request.Items[i];
            if (FieldError.ForId($"items[{i}].sku", item.Sku) is { } badId1)
            {
                return badId1;
            }

            if (!seen.Add(item.Sku))
            {
                return new($"items[{i}].sku", "appears more than once in this snapshot.");
            }

            if (item.OnHand is < 0 or > MaxUnits)
            {
                return new($"items[{i}].onHand", $"must be between 0 and {MaxUnits}.");
            }

            if (item.SafetyStock is < 0 or > MaxUnits)
            {
                return new($"items[{i}].safetyStock", $"must be between 0 and {MaxUnits}.");
            }
        }

        return null;
    }

    public static FieldError? Validate(AdjustmentRequest request)
    {
        if (FieldError.ForId("adjustmentId", request.AdjustmentId) is { } badId2)
            {
                return badId2;
            }

        if (FieldError.ForId("locationId", request.LocationId) is { } badId3)
            {
                return badId3;
            }

        if (FieldError.ForId("sku", request.Sku) is { } badId4)
            {
                return badId4;
            }

        if (request.Delta == 0 || request.Delta is < -MaxUnits or > MaxUnits)
        {
            return new("delta", $"must be non-zero and between -{MaxUnits} and {MaxUnits}.");
        }

        return FieldError.ForText("reason", request.Reason, MaxReasonLength, required: false);
    }
}
