using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json;
using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Grains;

namespace Oms.Api.Orders;

/// <summary>Who cancels is the credential, never a field of the body.</summary>
public sealed record CancelRequest(string Reason, IReadOnlyList<CancelLine>? Lines = null);

/// <param name="Author">Display text (the care agent's name) shown beside the credential that wrote the note.</param>
public sealed record NoteRequest(string Text, string? Author = null);

public sealed record CustomerOrdersResponse(string CustomerId, IReadOnlyList<CustomerOrder> Orders);

public static class OrderEndpoints
{
    public const int MaxReasonLength = 500;
    public const int MaxNoteLength = 2_000;
    private const int MaxCustomerOrders = 5_000;

    /// <summary>The 409 for a reservation (no line) or a line's stock hold that checkout cannot use.</summary>
    public static ProblemHttpResult UnusableHold(OrderRequest request, string? lineId, string message) =>
        lineId is null
            ? Problems.Conflict("The reservation cannot be used.", message, "reservationId", message)
            : Problems.Conflict("A stock hold cannot be used.", message, $"lines[{request.Lines.ToList().FindIndex(l => l.LineId == lineId)}].hold", message);

    public static void MapOrders(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/v1/orders").WithTags("Orders");

        orders.MapPost("/", async (HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
            if (OrderRequests.ValidateIdempotencyKey(key) is { } badKey)
            {
                return (IResult)Problems.Invalid(badKey);
            }

            var (request, problem) = await ReadOrder(http, grains, ct);
            if (problem is not null)
            {
                return problem;
            }

            if (key is null && request!.OrderId is null)
            {
                return Problems.Invalid("Idempotency-Key", "is required (or give an orderId in the body), so a retried checkout cannot place a second order.");
            }

            (request, var refused) = OrderScopes.Place(http, request!);
            if (refused is not null)
            {
                return refused;
            }

            // Another storefront key's basket is refused as checkout refuses any unusable one; nothing is allocated.
            if (request!.ReservationId is { } reservationId && !await Reservations.ReservationEndpoints.UsableBy(http, grains, reservationId))
            {
                return UnusableHold(request, null, $"Reservation '{reservationId}' was not made with this credential.");
            }

            var command = OrderRequests.ToCommand(request!);
            var orderId = request!.OrderId;
            if (key is not null)
            {
                // The key is the caller's, not global: scoped to the channel and the credential, as a payment API scopes it.
                var scope = $"{JsonNamingPolicy.CamelCase.ConvertName(command.Channel.ToString())}|{http.Credential().Actor}";
                var claim = await grains.GetGrain<ICheckoutKeyGrain>(CheckoutKeys.CheckoutKeyGrainKey(scope, key))
                    .Claim(OrderRequests.Fingerprint(command, orderId), orderId);
                if (!claim.SameRequest)
                {
                    return Problems.Invalid("Idempotency-Key", "was already used for a different checkout (another body or orderId); use a new key.",
                        StatusCodes.Status422UnprocessableEntity);
                }

                orderId = claim.OrderId;
            }

            var result = await grains.GetGrain<IOrderGrain>(orderId!).Place(command);
            return result.Outcome switch
            {
                PlaceOrderOutcome.Created => TypedResults.Created($"/api/v1/orders/{orderId}", result.Order),
                PlaceOrderOutcome.Replayed => TypedResults.Ok(result.Order),
                PlaceOrderOutcome.KeyConflict => Problems.Invalid(request.OrderId is not null ? "orderId" : "Idempotency-Key", result.Message!, StatusCodes.Status422UnprocessableEntity),
                PlaceOrderOutcome.ReservationUnusable => UnusableHold(request, request.ReservationId is null ? result.Unsourced.FirstOrDefault()?.LineId : null, result.Message!),
                PlaceOrderOutcome.Contended => Problems.Conflict("The stock was taken by other checkouts; nothing was allocated.", result.Message!),
                _ => Problems.Conflict("Not enough stock for every line; nothing was allocated.", result.Message ?? "",
                    new Dictionary<string, object?>
                    {
                        ["shortLines"] = result.Unsourced,
                        ["errors"] = result.Unsourced.ToDictionary(u => $"lines[{request.Lines.ToList().FindIndex(l => l.LineId == u.LineId)}].quantity",
                            u => new[] { $"{u.Reason} (requested {u.Requested}, available {u.Available})" }),
                    }),
            };
        })
        .RequireAuthorization(Policies.OrdersPlace)
        .Accepts<OrderRequest>("application/json")
        .Produces<OrderView>(StatusCodes.Status201Created)
        .Produces<OrderView>(StatusCodes.Status200OK)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        orders.MapGet("/{orderId}", async (string orderId, HttpContext http, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("orderId", orderId) is { } badId)
            {
                return (IResult)badId;
            }

            return await OrderScopes.Visible(http, grains, orderId) is { } view ? TypedResults.Ok(view) : OrderScopes.NotFound(orderId);
        })
        .RequireAuthorization(Policies.OrdersRead)
        .Produces<OrderView>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        orders.MapPost("/{orderId}/cancel", async (string orderId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
            if ((Problems.InvalidId("orderId", orderId) ?? (OrderRequests.ValidateIdempotencyKey(key) is { } badKey ? Problems.Invalid(badKey) : null)) is { } bad)
            {
                return (IResult)bad;
            }

            var body = await JsonBody.ReadAsync<CancelRequest>(http, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var request = body.Value!;

            // The reason goes onto the timeline that care agents read, so no control characters, as elsewhere.
            if (FieldError.ForText("reason", request.Reason, MaxReasonLength) is { } badText)
            {
                return Problems.Invalid(badText);
            }

            if (request.Lines is { Count: 0 })
            {
                return Problems.Invalid("lines", "leave it out to cancel everything, or list at least one line.");
            }

            // Another channel's order does not exist for this caller, exactly as an unknown id.
            if (await OrderScopes.Visible(http, grains, orderId) is null)
            {
                return OrderScopes.NotFound(orderId);
            }

            // Without a key every request is its own cancellation: two identical partial cancels mean two units.
            var result = await grains.GetGrain<IFulfilmentGrain>(orderId).Cancel(new CancelOrder(
                key ?? Guid.NewGuid().ToString("N"), request.Reason, request.Lines, http.Credential().Actor));
            return result.Outcome switch
            {
                CancelOutcome.Cancelled or CancelOutcome.Replayed => TypedResults.Ok(result.Order),
                CancelOutcome.NotFound => Problems.NotFound("orderId", result.Message!),
                CancelOutcome.NotCancellable => result.Field is { } field
                    ? Problems.Conflict("The order cannot be cancelled.", result.Message!, field, result.Message!)
                    : Problems.Conflict("The order cannot be cancelled.", result.Message!),
                CancelOutcome.KeyConflict => Problems.Invalid("Idempotency-Key", result.Message!, StatusCodes.Status422UnprocessableEntity),
                _ => Problems.Invalid(result.Field!, result.Message!),
            };
        })
        .RequireAuthorization(Policies.OrdersCancel)
        .Accepts<CancelRequest>("application/json")
        .Produces<OrderView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

        orders.MapPost("/{orderId}/notes", async (string orderId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if (Problems.InvalidId("orderId", orderId) is { } badId)
            {
                return (IResult)badId;
            }

            var body = await JsonBody.ReadAsync<NoteRequest>(http, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            if (string.IsNullOrWhiteSpace(body.Value!.Text) || body.Value.Text.Length > MaxNoteLength)
            {
                return Problems.Invalid("text", $"must be 1 to {MaxNoteLength} characters.");
            }

            if (FieldError.ForText("author", body.Value.Author, 100, required: false) is { } badAuthor)
            {
                return Problems.Invalid(badAuthor);
            }

            if (await OrderScopes.Visible(http, grains, orderId) is null)
            {
                return OrderScopes.NotFound(orderId);
            }

            return await grains.GetGrain<IOrderGrain>(orderId).AddNote(body.Value.Text, body.Value.Author) is { } view
                ? TypedResults.Ok(view)
                : OrderScopes.NotFound(orderId);
        })
        .RequireAuthorization(Policies.OrderNotes)
        .Accepts<NoteRequest>("application/json")
        .Produces<OrderView>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/api/v1/customers/{customerId}/orders", async (string customerId, string? limit, HttpContext http, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("customerId", customerId) is { } badId)
            {
                return (IResult)badId;
            }

            var pageSize = 50;
            if (limit is not null && (!int.TryParse(limit, out pageSize) || pageSize is < 1 or > 500))
            {
                return Problems.Invalid("limit", "must be a whole number between 1 and 500.");
            }

            // A storefront sees the customer's orders of its own channels only; the filter runs before the page is cut.
            var credential = http.Credential();
            var all = await grains.GetGrain<ICustomerGrain>(customerId).ListOrders(credential.SeesEveryChannel ? pageSize : MaxCustomerOrders);
            return TypedResults.Ok(new CustomerOrdersResponse(customerId,
                [.. all.Where(o => credential.SeesEveryChannel || (o.Channel is { } c && credential.Channels.Contains(c))).Take(pageSize)]));
        })
        .RequireAuthorization(Policies.CustomerOrders)
        .WithTags("Orders")
        .Produces<CustomerOrdersResponse>();
    }

    /// <summary>Reads and validates a checkout body, including that a pickup boutique really offers click-and-collect.</summary>
    public static async Task<(OrderRequest? Request, IResult? Problem)> ReadOrder(HttpContext http, IGrainFactory grains, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<OrderRequest>(http, OrderRequests.Validate, ct);
        if (body.Problem is not null)
        {
            return (null, body.Problem);
        }

        if (await PickupRefusal(body.Value!, grains) is { } refused)
        {
            return (null, Problems.Invalid(refused, StatusCodes.Status422UnprocessableEntity));
        }

        if (body.Value!.Delivery is { CarrierId: { } carrierId, ServiceId: { } serviceId }
            && (await http.RequestServices.GetRequiredService<Promise.PromiseCache>().NetworkAsync()).Service(carrierId, serviceId) is null)
        {
            return (null, Problems.Invalid("delivery.serviceId", $"carrier '{carrierId}' has no service '{serviceId}'.", StatusCodes.Status422UnprocessableEntity));
        }

        return (body.Value, null);
    }

    /// <summary>
    /// The one check of a checkout that needs the network: a pickup boutique must exist, offer click-and-collect and be
    /// open for it. Apart from the body, so the demo seeder places its orders through the same checks as this endpoint.
    /// </summary>
    public static async Task<FieldError?> PickupRefusal(OrderRequest request, IGrainFactory grains)
    {
        if (request.Delivery is not { Method: DeliveryMethod.ClickAndCollect, PickupLocationId: { } pickup })
        {
            return null;
        }

        var boutique = await grains.GetGrain<INetworkGrain>(0).GetProfile(pickup);
        var why = boutique is null ? $"location '{pickup}' is not registered."
            : !boutique.Can(LocationCapability.ClickAndCollect) ? $"'{pickup}' does not offer click-and-collect."
            : !boutique.IsActive ? $"'{pickup}' is paused."
            : null;
        return why is null ? null : new FieldError("delivery.pickupLocationId", why);
    }
}
