using System.Globalization;
using Oms.Api.Http;
using Oms.Api.Orders;
using Oms.Api.Security;
using Oms.Contracts.Orders;
using Oms.Contracts.Returns;
using Oms.Contracts.Security;
using Oms.Grains;
using Oms.Grains.Returns;

namespace Oms.Api.Returns;

public sealed record ReturnLineRequestDto(string LineId, int Quantity, ReturnReason Reason);

/// <summary>A return authorisation's body; who asks is the credential.</summary>
public sealed record ReturnRequest(IReadOnlyList<ReturnLineRequestDto> Lines, ReturnMethod Method, string LocationId, string? Note = null);

public sealed record ReceiveLineDto(string LineId, int Quantity, ReturnCondition Condition);

public sealed record ReceiveRequest(string EventId, string LocationId, IReadOnlyList<ReceiveLineDto> Lines);

public sealed record ExchangeLineDto(string LineId, int Quantity, string NewSku, decimal UnitPrice, ReturnReason Reason);

public sealed record ExchangeRequest(IReadOnlyList<ExchangeLineDto> Lines, ExchangeMode Mode, ReturnMethod Method, string LocationId);

public sealed record RefundEventRequest(string EventId, RefundReportType Type, string? Reference = null);

public static class ReturnEndpoints
{
    public const int MaxLines = OrderRequests.MaxLines;
    public const int MaxNoteLength = 500;
    public const int MaxReferenceLength = 200;

    /// <summary>The statuses a return waits in at its location; the others have left the receiving queue.</summary>
    public static readonly IReadOnlyDictionary<string, ReturnStatus> OpenStatuses = new Dictionary<string, ReturnStatus>(StringComparer.Ordinal)
    {
        ["authorised"] = ReturnStatus.Authorised,
        ["partiallyReceived"] = ReturnStatus.PartiallyReceived,
    };

    public static string StatusPattern => $"^({string.Join("|", OpenStatuses.Keys)})$";

    public static void MapReturns(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/v1/orders").WithTags("Returns");

        orders.MapPost("/{orderId}/returns", async (string orderId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
            if ((Problems.InvalidId("orderId", orderId) ?? (OrderRequests.ValidateIdempotencyKey(key) is { } badKey ? Problems.Invalid(badKey) : null)) is { } bad)
            {
                return (IResult)bad;
            }

            if (key is null)
            {
                return Problems.Invalid("Idempotency-Key", "is required, so a retried request cannot authorise a second return.");
            }

            var body = await JsonBody.ReadAsync<ReturnRequest>(http, Validate, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            if (await OrderScopes.Visible(http, grains, orderId) is null)
            {
                return OrderScopes.NotFound(orderId);
            }

            var r = body.Value!;
            var result = await grains.GetGrain<IReturnsGrain>(orderId).Authorise(new AuthoriseReturn(
                $"{http.Credential().Actor}|{key}", [.. r.Lines.Select(l => new ReturnLineRequest(l.LineId, l.Quantity, l.Reason))], r.Method, r.LocationId, r.Note));
            return result.Outcome switch
            {
                ReturnOutcome.Authorised => TypedResults.Created($"/api/v1/returns/{result.Return!.ReturnId}", result.Return),
                ReturnOutcome.Replayed => TypedResults.Ok(result.Return),
                ReturnOutcome.NotFound => OrderScopes.NotFound(orderId),
                ReturnOutcome.KeyConflict => Problems.Invalid("Idempotency-Key", result.Message!, StatusCodes.Status422UnprocessableEntity),
                _ => Refused(result),
            };
        })
        .RequireAuthorization(Policies.ReturnsAuthorise)
        .Accepts<ReturnRequest>("application/json")
        .Produces<ReturnView>(StatusCodes.Status201Created)
        .Produces<ReturnView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        orders.MapPost("/{orderId}/exchanges", async (string orderId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
            if ((Problems.InvalidId("orderId", orderId) ?? (OrderRequests.ValidateIdempotencyKey(key) is { } badKey ? Problems.Invalid(badKey) : null)) is { } bad)
            {
                return (IResult)bad;
            }

            if (key is null)
            {
                return Problems.Invalid("Idempotency-Key", "is required, so a retried request cannot create a second exchange.");
            }

            var body = await JsonBody.ReadAsync<ExchangeRequest>(http, Validate, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            if (await OrderScopes.Visible(http, grains, orderId) is null)
            {
                return OrderScopes.NotFound(orderId);
            }

            var r = body.Value!;
            var result = await grains.GetGrain<Oms.Contracts.Fulfilments.IFulfilmentGrain>(orderId).Exchange(new CreateExchange(
                $"{http.Credential().Actor}|{key}", [.. r.Lines.Select(l => new ExchangeLineRequest(l.LineId, l.Quantity, l.NewSku, l.UnitPrice, l.Reason))],
                r.Mode, r.Method, r.LocationId));
            return result.Outcome switch
            {
                ExchangeOutcome.Created => TypedResults.Created($"/api/v1/orders/{orderId}", result.Exchange),
                ExchangeOutcome.Replayed => TypedResults.Ok(result.Exchange),
                ExchangeOutcome.NotFound => OrderScopes.NotFound(orderId),
                ExchangeOutcome.KeyConflict => Problems.Invalid("Idempotency-Key", result.Message!, StatusCodes.Status422UnprocessableEntity),
                ExchangeOutcome.NoStock => Problems.Conflict("The replacement cannot be allocated; nothing was created.", result.Message!, result.Field!, result.Message!),
                ExchangeOutcome.Refused => Refused(new ReturnResult(ReturnOutcome.Refused, null, result.Field, result.Rule, result.Message)),
                _ => result.Rule == "location"
                    ? Problems.Invalid(result.Field!, result.Message!, StatusCodes.Status422UnprocessableEntity)
                    : Problems.Invalid(result.Field!, result.Message!),
            };
        })
        .RequireAuthorization(Policies.OrdersExchange)
        .Accepts<ExchangeRequest>("application/json")
        .Produces<ExchangeView>(StatusCodes.Status201Created)
        .Produces<ExchangeView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        var returns = app.MapGroup("/api/v1/returns").WithTags("Returns");

        returns.MapPost("/{returnId}/receive", async (string returnId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if (ReturnBook.OrderOf(returnId, 'R') is not { } orderId)
            {
                return (IResult)Problems.Invalid("returnId", "is not a return id: the order id, '~R' and a number, as authorisation gave it.");
            }

            var body = await JsonBody.ReadAsync<ReceiveRequest>(http, Validate, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var r = body.Value!;
            if (Access.AtLocation(http, r.LocationId) is { } forbidden)
            {
                return forbidden;
            }

            var credential = http.Credential();
            var result = await grains.GetGrain<IReturnsGrain>(orderId).Receive(returnId,
                new ReceiveReturn(r.EventId, r.LocationId, [.. r.Lines.Select(l => new ReceiveLine(l.LineId, l.Quantity, l.Condition))]),
                credential.Role == ApiRole.Store ? [.. credential.LocationIds] : null);
            return result.Outcome switch
            {
                ReturnOutcome.Received or ReturnOutcome.Replayed => TypedResults.Ok(result.Return),
                ReturnOutcome.NotFound => Problems.NotFound("returnId", result.Message!),
                ReturnOutcome.Forbidden => Access.Forbidden("location", result.Message!, result.Field),
                ReturnOutcome.KeyConflict => Problems.Invalid("eventId", result.Message!, StatusCodes.Status422UnprocessableEntity),
                ReturnOutcome.Impossible => Problems.Conflict("The return cannot take this receipt.", result.Message!, result.Field!, result.Message!),
                ReturnOutcome.Invalid when result.Rule == "location" => Problems.Invalid(result.Field!, result.Message!, StatusCodes.Status422UnprocessableEntity),
                _ => Problems.Invalid(result.Field!, result.Message!),
            };
        })
        .RequireAuthorization(Policies.ReturnsReceive)
        .Accepts<ReceiveRequest>("application/json")
        .Produces<ReturnView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        returns.MapGet("/{returnId}", async (string returnId, HttpContext http, IGrainFactory grains) =>
        {
            if (ReturnBook.OrderOf(returnId, 'R') is not { } orderId)
            {
                return (IResult)Problems.Invalid("returnId", "is not a return id: the order id, '~R' and a number, as authorisation gave it.");
            }

            var found = await grains.GetGrain<IReturnsGrain>(orderId).Get(returnId);

            // A boutique's staff read the returns coming to them, even of an order they may not otherwise see.
            var credential = http.Credential();
            var receiving = credential.Role == ApiRole.Store && found is not null && credential.LocationIds.Contains(found.LocationId);
            if (found is null || (!receiving && credential.Role != ApiRole.Integration && await OrderScopes.Visible(http, grains, orderId) is null))
            {
                return Problems.NotFound("returnId", $"return '{returnId}' does not exist.");
            }

            return TypedResults.Ok(found);
        })
        .RequireAuthorization(Policies.ReturnsRead)
        .Produces<ReturnView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);

        returns.MapGet("/", async (string? locationId, string? status, string? limit, string? cursor, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if (locationId is null)
            {
                return (IResult)Problems.Invalid("locationId", "is required: the warehouse or boutique whose receiving queue to list.");
            }

            if ((Problems.InvalidId("locationId", locationId) ?? Access.AtLocation(http, locationId)) is { } refused)
            {
                return refused;
            }

            ReturnStatus? wanted = null;
            if (status is not null)
            {
                if (!OpenStatuses.TryGetValue(status, out var known))
                {
                    return Problems.Invalid("status", $"must be one of {string.Join(", ", OpenStatuses.Keys)}: the queue holds the returns still expected.");
                }

                wanted = known;
            }

            var pageSize = ReturnQueue.DefaultLimit;
            if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > ReturnQueue.MaxLimit))
            {
                return Problems.Invalid("limit", $"must be a whole number between 1 and {ReturnQueue.MaxLimit}.");
            }

            if (cursor is not null && !Oms.Grains.Queues.WorkQueueCursor.TryRead(cursor, out _))
            {
                return Problems.Invalid("cursor", "is not a cursor this list gave out; pass a page's next as it is.");
            }

            ct.ThrowIfCancellationRequested();
            return TypedResults.Ok(await grains.GetGrain<IReturnQueueGrain>(locationId).List(wanted, pageSize, cursor));
        })
        .RequireAuthorization(Policies.ReturnsQueue)
        .Produces<ReturnTaskPage>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status403Forbidden);

        app.MapPost("/api/v1/refunds/{refundId}/events", async (string refundId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if (ReturnBook.OrderOf(refundId, 'F') is not { } orderId)
            {
                return (IResult)Problems.Invalid("refundId", "is not a refund id: the order id, '~F' and a number, as refund.requested gave it.");
            }

            var body = await JsonBody.ReadAsync<RefundEventRequest>(http, Validate, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var r = body.Value!;
            var result = await grains.GetGrain<IReturnsGrain>(orderId).ReportRefund(refundId, new RefundReport(r.EventId, r.Type, r.Reference));
            return result.Outcome switch
            {
                RefundReportOutcome.Applied or RefundReportOutcome.Replayed => TypedResults.Ok(result.Refund),
                RefundReportOutcome.NotFound => Problems.NotFound("refundId", $"refund '{refundId}' does not exist."),
                RefundReportOutcome.KeyConflict => Problems.Invalid("eventId", result.Message!, StatusCodes.Status422UnprocessableEntity),
                _ => Problems.Conflict("The refund is already settled.", result.Message!, "type", result.Message!),
            };
        })
        .WithTags("Returns")
        .RequireAuthorization(Policies.RefundEvents)
        .Accepts<RefundEventRequest>("application/json")
        .Produces<RefundView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
    }

    /// <summary>A policy refusal names the line's field and the rule, so a storefront can say which item and why.</summary>
    private static IResult Refused(ReturnResult result) =>
        TypedResults.Problem(
            title: result.Rule == "location" ? "The request refers to something that cannot be used." : "The return policy refuses this return.",
            detail: $"{result.Field}: {result.Message}",
            statusCode: StatusCodes.Status422UnprocessableEntity,
            extensions: new Dictionary<string, object?>
            {
                ["rule"] = result.Rule,
                ["errors"] = new Dictionary<string, string[]> { [result.Field!] = [result.Message!] },
            });

    public static FieldError? Validate(ReturnRequest r)
    {
        if (r.Lines is not { Count: > 0 and <= MaxLines })
        {
            return new FieldError("lines", $"must list 1 to {MaxLines} lines.");
        }

        for (var i = 0; i < r.Lines.Count; i++)
        {
            var line = r.Lines[i];
            if (line is null)
            {
                return new FieldError($"lines[{i}]", "must be an object with lineId, quantity and reason.");
            }

            if (FieldError.ForId($"lines[{i}].lineId", line.LineId) is { } badLine)
            {
                return badLine;
            }

            if (line.Quantity is < 1 or > OrderRequests.MaxQuantity)
            {
                return new FieldError($"lines[{i}].quantity", $"must be between 1 and {OrderRequests.MaxQuantity}.");
            }

            if (!Enum.IsDefined(line.Reason))
            {
                return new FieldError($"lines[{i}].reason", "must be doesNotFit, notAsDescribed, damaged, wrongItem, changedMind or other.");
            }
        }

        if (r.Method is not (ReturnMethod.ShipBack or ReturnMethod.DropOff))
        {
            return new FieldError("method", "must be shipBack or dropOff; an intercept comes from cancelling a parcel on its way.");
        }

        return FieldError.ForId("locationId", r.LocationId) ?? FieldError.ForText("note", r.Note, MaxNoteLength, required: false);
    }

    public static FieldError? Validate(ExchangeRequest r)
    {
        if (r.Lines is not { Count: > 0 and <= MaxLines })
        {
            return new FieldError("lines", $"must list 1 to {MaxLines} lines.");
        }

        for (var i = 0; i < r.Lines.Count; i++)
        {
            var line = r.Lines[i];
            if (line is null)
            {
                return new FieldError($"lines[{i}]", "must be an object with lineId, quantity, newSku, unitPrice and reason.");
            }

            if ((FieldError.ForId($"lines[{i}].lineId", line.LineId) ?? FieldError.ForId($"lines[{i}].newSku", line.NewSku)) is { } badId)
            {
                return badId;
            }

            if (line.Quantity is < 1 or > OrderRequests.MaxQuantity)
            {
                return new FieldError($"lines[{i}].quantity", $"must be between 1 and {OrderRequests.MaxQuantity}.");
            }

            if (line.UnitPrice < 0 || line.UnitPrice > OrderRequests.MaxUnitPrice || line.UnitPrice.Scale > 4)
            {
                return new FieldError($"lines[{i}].unitPrice", $"must be between 0 and {OrderRequests.MaxUnitPrice}, with at most 4 decimals, in the order's currency.");
            }

            if (!Enum.IsDefined(line.Reason))
            {
                return new FieldError($"lines[{i}].reason", "must be doesNotFit, notAsDescribed, damaged, wrongItem, changedMind or other.");
            }
        }

        if (!Enum.IsDefined(r.Mode))
        {
            return new FieldError("mode", "must be advance or afterReturn.");
        }

        return r.Method is not (ReturnMethod.ShipBack or ReturnMethod.DropOff)
            ? new FieldError("method", "must be shipBack or dropOff.")
            : FieldError.ForId("locationId", r.LocationId);
    }

    public static FieldError? Validate(ReceiveRequest r)
    {
        if ((FieldError.ForId("eventId", r.EventId) ?? FieldError.ForId("locationId", r.LocationId)) is { } badId)
        {
            return badId;
        }

        if (r.Lines is not { Count: > 0 and <= MaxLines })
        {
            return new FieldError("lines", $"must list 1 to {MaxLines} lines.");
        }

        for (var i = 0; i < r.Lines.Count; i++)
        {
            var line = r.Lines[i];
            if (line is null)
            {
                return new FieldError($"lines[{i}]", "must be an object with lineId, quantity and condition.");
            }

            if (FieldError.ForId($"lines[{i}].lineId", line.LineId) is { } badLine)
            {
                return badLine;
            }

            if (line.Quantity is < 1 or > OrderRequests.MaxQuantity)
            {
                return new FieldError($"lines[{i}].quantity", $"must be between 1 and {OrderRequests.MaxQuantity}.");
            }

            if (!Enum.IsDefined(line.Condition))
            {
                return new FieldError($"lines[{i}].condition", "must be resellable or damaged.");
            }
        }

        return null;
    }

    public static FieldError? Validate(RefundEventRequest r) =>
        FieldError.ForId("eventId", r.EventId)
        ?? (!Enum.IsDefined(r.Type) ? new FieldError("type", "must be succeeded or failed.") : null)
        ?? FieldError.ForText("reference", r.Reference, MaxReferenceLength, required: false);
}
