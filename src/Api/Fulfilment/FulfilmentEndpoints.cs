using Oms.Api.Http;
using Oms.Api.Orders;
using Oms.Api.Security;
using Oms.Contracts;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Security;
using Oms.Grains;

namespace Oms.Api.Fulfilments;

/// <summary>The body of a location's report about a fulfilment.</summary>
public sealed record FulfilmentEventRequest(
    string EventId,
    FulfilmentReportType Type,
    IReadOnlyList<FulfilmentLine>? Lines = null,
    string? Carrier = null,
    string? Service = null,
    string? TrackingNumber = null,
    string? TrackingUrl = null,
    RejectionReason? Reason = null,
    string? Note = null,
    string? PickupCode = null,
    DateTimeOffset? OccurredAt = null);

/// <summary>Where the customer will collect the order now; who asks is the credential.</summary>
public sealed record PickupLocationRequest(string LocationId, string? Reason = null);

public static class FulfilmentEndpoints
{
    public const int MaxLines = OrderRequests.MaxLines;
    public const int MaxTextLength = 100;
    public const int MaxNoteLength = 500;
    public const int MaxUrlLength = 2_000;
    public const int MaxReasonLength = OrderEndpoints.MaxReasonLength;

    public static void MapFulfilments(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/v1/orders").WithTags("Fulfilment");

        orders.MapPost("/{orderId}/fulfilments/{fulfilmentId}/events", async (string orderId, string fulfilmentId, HttpContext http, IGrainFactory grains, TimeProvider clock, CancellationToken ct) =>
        {
            if ((Problems.InvalidId("orderId", orderId) ?? Problems.InvalidId("fulfilmentId", fulfilmentId)) is { } badId)
            {
                return (IResult)badId;
            }

            var body = await JsonBody.ReadAsync<FulfilmentEventRequest>(http, r => Validate(r, clock.GetUtcNow()), ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var r = body.Value!;
            var credential = http.Credential();
            var locations = credential.Role == ApiRole.Store ? credential.LocationIds.ToList() : null;
            var result = await grains.GetGrain<IFulfilmentGrain>(orderId).Report(fulfilmentId,
                new FulfilmentReport(r.EventId, r.Type, r.Lines, r.Carrier, r.Service, r.TrackingNumber, r.TrackingUrl, r.Reason, r.Note, r.PickupCode, r.OccurredAt),
                locations);
            return result.Outcome switch
            {
                FulfilmentReportOutcome.Applied or FulfilmentReportOutcome.Replayed or FulfilmentReportOutcome.AlreadyPast => TypedResults.Ok(result.Fulfilment),
                FulfilmentReportOutcome.NotFound => result.Field == "orderId" ? OrderScopes.NotFound(orderId) : Problems.NotFound(result.Field!, result.Message!),
                FulfilmentReportOutcome.Impossible => Problems.Conflict("The fulfilment cannot take this event.", result.Message!,
                    new Dictionary<string, object?> { ["currentStatus"] = FulfilmentStatusName(result.CurrentStatus), ["errors"] = new Dictionary<string, string[]> { ["type"] = [result.Message!] } }),
                FulfilmentReportOutcome.WrongPickupCode => Problems.Conflict("The pickup code does not match.", result.Message!, "pickupCode", result.Message!),
                FulfilmentReportOutcome.KeyConflict => Problems.Invalid("eventId", result.Message!, StatusCodes.Status422UnprocessableEntity),
                FulfilmentReportOutcome.Forbidden => Access.Forbidden("location", result.Message!, "location"),
                _ => Problems.Invalid(result.Field ?? "type", result.Message!),
            };
        })
        .RequireAuthorization(Policies.FulfilmentEvents)
        .Accepts<FulfilmentEventRequest>("application/json")
        .Produces<FulfilmentView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        orders.MapGet("/{orderId}/fulfilments/{fulfilmentId}", async (string orderId, string fulfilmentId, HttpContext http, IGrainFactory grains) =>
        {
            if ((Problems.InvalidId("orderId", orderId) ?? Problems.InvalidId("fulfilmentId", fulfilmentId)) is { } badId)
            {
                return (IResult)badId;
            }

            var credential = http.Credential();
            var order = await grains.GetGrain<IOrderGrain>(orderId).Get();
            if (order is null)
            {
                return OrderScopes.NotFound(orderId);
            }

            var fulfilment = await grains.GetGrain<IFulfilmentGrain>(orderId).Get(fulfilmentId)
                ?? order.Fulfilments.FirstOrDefault(f => f.FulfilmentId == fulfilmentId);

            // A location's staff read the fulfilments they work on, even of an order they may not otherwise see.
            var works = credential.Role == ApiRole.Store && fulfilment is not null
                && (credential.LocationIds.Contains(fulfilment.LocationId) || (fulfilment.PickupLocationId is { } p && credential.LocationIds.Contains(p)));
            if (!works && credential.Role != ApiRole.Integration && !credential.Sees(order))
            {
                return OrderScopes.NotFound(orderId);
            }

            return fulfilment is null
                ? Problems.NotFound("fulfilmentId", $"order '{orderId}' has no fulfilment '{fulfilmentId}'.")
                : TypedResults.Ok(fulfilment);
        })
        .RequireAuthorization(Policies.FulfilmentRead)
        .Produces<FulfilmentView>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        orders.MapPost("/{orderId}/resource", async (string orderId, HttpContext http, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("orderId", orderId) is { } badId)
            {
                return (IResult)badId;
            }

            if (await OrderScopes.Visible(http, grains, orderId) is null)
            {
                return OrderScopes.NotFound(orderId);
            }

            var result = await grains.GetGrain<IFulfilmentGrain>(orderId).Resource();
            return result.Outcome switch
            {
                ResourceOutcome.Resourced => TypedResults.Ok(result.Order),
                ResourceOutcome.NotFound => OrderScopes.NotFound(orderId),
                ResourceOutcome.NothingToResource => Problems.Conflict("Nothing to re-source.", result.Message!, "orderId", result.Message!),
                _ => Problems.Conflict("No location can take the waiting lines.", result.Message ?? "No location has the units.", "orderId", result.Message ?? "No location has the units."),
            };
        })
        .RequireAuthorization(Policies.OrdersResource)
        .Produces<OrderView>()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

        MapPickupChange(orders);
    }

    private static void MapPickupChange(RouteGroupBuilder orders) =>
        orders.MapPost("/{orderId}/pickup-location", async (string orderId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if (Problems.InvalidId("orderId", orderId) is { } badId)
            {
                return (IResult)badId;
            }

            var body = await JsonBody.ReadAsync<PickupLocationRequest>(http, Validate, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var request = body.Value!;
            if (await OrderScopes.Visible(http, grains, orderId) is not { } order)
            {
                return OrderScopes.NotFound(orderId);
            }

            // As checkout checks a pickup boutique; the one the order already has is left to answer a repeat.
            if (order.Delivery.PickupLocationId != request.LocationId && await UnusablePickup(grains, request.LocationId) is { } why)
            {
                return Problems.Invalid("locationId", why, StatusCodes.Status422UnprocessableEntity);
            }

            var result = await grains.GetGrain<IFulfilmentGrain>(orderId).ChangePickup(new ChangePickup(request.LocationId, request.Reason));
            return result.Outcome switch
            {
                PickupChangeOutcome.Changed or PickupChangeOutcome.Unchanged => TypedResults.Ok(result.Order),
                PickupChangeOutcome.NotFound => OrderScopes.NotFound(orderId),
                PickupChangeOutcome.NotClickAndCollect => Problems.Conflict("The order is not click-and-collect.", result.Message!, "orderId", result.Message!),
                PickupChangeOutcome.TooLate => Problems.Conflict("The pickup boutique can no longer change.", result.Message!, "orderId", result.Message!),
                PickupChangeOutcome.NothingToPickUp => Problems.Conflict("Nothing is left to collect.", result.Message!, "orderId", result.Message!),
                _ => Problems.Conflict("The new boutique cannot be served; nothing changed.", result.Message!, "locationId", result.Message!),
            };
        })
        .RequireAuthorization(Policies.OrdersPickup)
        .Accepts<PickupLocationRequest>("application/json")
        .Produces<OrderView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    private static async Task<string?> UnusablePickup(IGrainFactory grains, string locationId)
    {
        var boutique = await grains.GetGrain<INetworkGrain>(0).GetProfile(locationId);
        return boutique is null ? $"location '{locationId}' is not registered."
            : !boutique.Can(LocationCapability.ClickAndCollect) ? $"'{locationId}' does not offer click-and-collect."
            : !boutique.IsActive ? $"'{locationId}' is paused."
            : null;
    }

    public static FieldError? Validate(PickupLocationRequest r) =>
        FieldError.ForId("locationId", r.LocationId)
        ?? FieldError.ForText("reason", r.Reason, MaxReasonLength, required: false);

    private static string? FulfilmentStatusName(FulfilmentStatus? status) =>
        status is { } s ? System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(s.ToString()) : null;

    /// <summary>How far back a delivery scan may be reported: a carrier's feed that is weeks late is a data problem, not a delivery.</summary>
    public static readonly TimeSpan MaxOccurredAgo = TimeSpan.FromDays(90);

    /// <summary>Clocks of shops and carriers drift; a few minutes ahead is a skew, more is a wrong clock.</summary>
    public static readonly TimeSpan MaxOccurredAhead = TimeSpan.FromMinutes(5);

    public static FieldError? Validate(FulfilmentEventRequest r, DateTimeOffset now)
    {
        if (r.OccurredAt is { } occurred)
        {
            if (r.Type != FulfilmentReportType.Delivered)
            {
                return new FieldError("occurredAt", "is only for a delivered event, whose time is judged against the promise.");
            }

            if (occurred < now - MaxOccurredAgo || occurred > now + MaxOccurredAhead)
            {
                return new FieldError("occurredAt", $"must be within the last {MaxOccurredAgo.Days} days, and not in the future.");
            }
        }

        if (FieldError.ForId("eventId", r.EventId) is { } badEvent)
        {
            return badEvent;
        }

        if (!Enum.IsDefined(r.Type))
        {
            return new FieldError("type", "must be accepted, rejected, packed, shipped, delivered, received, readyForPickup or collected.");
        }

        if (r.Lines is { } lines)
        {
            if (lines.Count is 0 or > MaxLines)
            {
                return new FieldError("lines", $"must list 1 to {MaxLines} lines, or be left out to cover every open unit.");
            }

            for (var i = 0; i < lines.Count; i++)
            {
                if (lines[i] is null)
                {
                    return new FieldError($"lines[{i}]", "must be an object with lineId and quantity.");
                }

                if (FieldError.ForId($"lines[{i}].lineId", lines[i].LineId) is { } badLine)
                {
                    return badLine;
                }

                if (lines[i].Quantity is < 1 or > OrderRequests.MaxQuantity)
                {
                    return new FieldError($"lines[{i}].quantity", $"must be between 1 and {OrderRequests.MaxQuantity}.");
                }
            }
        }

        var shipment = r.Type == FulfilmentReportType.Shipped;
        var badText = Only("carrier", r.Carrier, shipment, MaxTextLength)
            ?? Only("service", r.Service, shipment, MaxTextLength)
            ?? Only("trackingNumber", r.TrackingNumber, shipment, MaxTextLength)
            ?? Only("note", r.Note, r.Type == FulfilmentReportType.Rejected, MaxNoteLength)
            ?? Only("pickupCode", r.PickupCode, r.Type == FulfilmentReportType.Collected, 20);
        if (badText is not null)
        {
            return badText;
        }

        if (r.TrackingUrl is { } url)
        {
            if (!shipment)
            {
                return new FieldError("trackingUrl", "is only for a shipped event.");
            }

            if (url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            {
                return new FieldError("trackingUrl", $"must be an absolute http or https URL of at most {MaxUrlLength} characters.");
            }
        }

        if (r.Type == FulfilmentReportType.Rejected)
        {
            if (r.Reason is null)
            {
                return new FieldError("reason", "is required for a rejection: notFound, damaged, noCapacity or other.");
            }

            if (r.Reason == RejectionReason.Timeout || !Enum.IsDefined(r.Reason.Value))
            {
                return new FieldError("reason", "must be notFound, damaged, noCapacity or other; a timeout is decided by the OMS.");
            }
        }
        else if (r.Reason is not null)
        {
            return new FieldError("reason", "is only for a rejected event.");
        }

        if (r.Type == FulfilmentReportType.Collected && string.IsNullOrEmpty(r.PickupCode))
        {
            return new FieldError("pickupCode", "is required: the code the customer was given when the parcel was ready.");
        }

        return null;
    }

    private static FieldError? Only(string field, string? value, bool allowed, int maxLength) =>
        value is null ? null
        : !allowed ? new FieldError(field, "is not part of this event type.")
        : FieldError.ForText(field, value, maxLength);
}
