using System.ComponentModel.DataAnnotations;
using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.Reservations;
using Oms.Grains;
using Oms.Grains.Reservations;

namespace Oms.Api.Reservations;

public sealed record ReservationLineRequest(string Sku, string LocationId, [property: Range(1, ReservationRules.MaxQuantity)] int Quantity);

public sealed record CreateReservationRequest(
    string ReservationId,
    [property: Length(1, ReservationRules.MaxLines)] IReadOnlyList<ReservationLineRequest> Lines,
    [property: Range(ReservationRules.MinTtlSeconds, ReservationRules.MaxTtlSeconds)] int TtlSeconds = 900,
    string? CustomerId = null);

public static class ReservationEndpoints
{
    public static void MapReservations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/reservations").WithTags("Reservations").RequireAuthorization(Policies.Reservations);

        group.MapPost("/", async (HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync<CreateReservationRequest>(http, ct);
            if (body.Problem is not null)
            {
                return (IResult)body.Problem;
            }

            var input = body.Value!;
            if (Problems.InvalidId("reservationId", input.ReservationId) is { } badId)
            {
                return badId;
            }

            var request = new ReservationRequest(
                [.. input.Lines.Select(l => new ReservationLine(l.Sku, l.LocationId, l.Quantity))], input.TtlSeconds, input.CustomerId,
                http.Credential().Actor);
            if (ReservationRules.Validate(request) is { } error)
            {
                return Problems.Invalid(error);
            }

            var result = await grains.GetGrain<IReservationGrain>(input.ReservationId).Create(request);
            return result.Outcome switch
            {
                ReservationOutcome.Created => TypedResults.Created($"/api/v1/reservations/{input.ReservationId}", result.Reservation),
                ReservationOutcome.Replayed => TypedResults.Ok(result.Reservation),
                ReservationOutcome.Conflict => Problems.Conflict(
                    "The reservation id is already used by a different request.",
                    $"Reservation '{input.ReservationId}' exists with other lines or another TTL; use a new reservationId.",
                    "reservationId", "already used by a different request."),
                _ => ShortProblem(result.ShortLines),
            };
        })
        .Accepts<CreateReservationRequest>("application/json")
        .Produces<ReservationView>(StatusCodes.Status201Created)
        .Produces<ReservationView>(StatusCodes.Status200OK)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        group.MapGet("/{reservationId}", async (string reservationId, HttpContext http, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("reservationId", reservationId) is { } badId)
            {
                return (IResult)badId;
            }

            var view = await Visible(http, grains, reservationId);
            return view is null
                ? Problems.NotFound("reservationId", $"reservation '{reservationId}' does not exist.")
                : TypedResults.Ok(view);
        })
        .Produces<ReservationView>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/{reservationId}", async (string reservationId, HttpContext http, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("reservationId", reservationId) is { } badId)
            {
                return (IResult)badId;
            }

            // Another key's reservation does not exist for this caller, and stays held.
            var view = await Visible(http, grains, reservationId) is null ? null : await grains.GetGrain<IReservationGrain>(reservationId).Release();
            return view is null
                ? Problems.NotFound("reservationId", $"reservation '{reservationId}' does not exist.")
                : TypedResults.Ok(view);
        })
        .Produces<ReservationView>()
        .ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>
    /// The reservation, or null when it does not exist or belongs to another storefront credential: a storefront
    /// acts only on the baskets it held itself. Ones created before owners were recorded have none, and are anyone's.
    /// </summary>
    public static async Task<ReservationView?> Visible(HttpContext http, IGrainFactory grains, string reservationId) =>
        await grains.GetGrain<IReservationGrain>(reservationId).Get() is { } view && Owns(http, view) ? view : null;

    /// <summary>False only for another storefront credential's reservation; an unknown one is checkout's to refuse.</summary>
    public static async Task<bool> UsableBy(HttpContext http, IGrainFactory grains, string reservationId) =>
        await grains.GetGrain<IReservationGrain>(reservationId).Get() is not { } view || Owns(http, view);

    private static bool Owns(HttpContext http, ReservationView view)
    {
        var credential = http.Credential();
        return credential.Role != Oms.Contracts.Security.ApiRole.Storefront || view.Owner is null || view.Owner == credential.Actor;
    }

    /// <summary>
    /// A line at an unregistered location is the caller's mistake (422, naming the field); short stock is a
    /// conflict with the current state of the world (409), and says what is available so the UI can offer it.
    /// </summary>
    private static IResult ShortProblem(IReadOnlyList<ShortLine> shortLines)
    {
        var unknown = shortLines.FirstOrDefault(l => l.Reason == "unknownLocation");
        if (unknown is not null)
        {
            return Problems.Invalid(
                $"lines[{unknown.LineIndex}].locationId", $"location '{unknown.LocationId}' is not registered.",
                StatusCodes.Status422UnprocessableEntity);
        }

        var errors = shortLines.ToDictionary(
            l => $"lines[{l.LineIndex}].quantity",
            l => new[] { $"requested {l.Requested} of {l.Sku} at {l.LocationId}; {l.Available} available." });
        // A refused reservation id stays refused (a replay returns this same answer), so retrying needs a new id.
        return Problems.Conflict(
            "Not enough stock to hold every line; nothing was held.",
            string.Join(" ", errors.Values.Select(v => v[0])) + " Retry with a new reservationId.",
            new Dictionary<string, object?> { ["shortLines"] = shortLines, ["errors"] = errors });
    }
}
