using System.Collections.Frozen;
using System.Text.Json;
using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Api.Orders;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Grains;
using Oms.Grains.Sourcing;

namespace Oms.Api.Sourcing;

public sealed record SourcingProfileRequest(
    int MaxSplit = 3,
    IReadOnlyList<SourcingCriterion>? Criteria = null,
    IReadOnlyList<LocationType>? TypePreference = null,
    bool AllowShipFromBoutiques = true,
    bool AllowBoutiqueTransfers = false);

public sealed record SimulationResponse(IReadOnlyList<Fulfilment> Fulfilments, IReadOnlyList<UnsourcedLine> Unsourced);

public static class SourcingEndpoints
{
    public const int MaxSplitLimit = 20;

    /// <summary>
    /// Every profile there is: one per channel and delivery method, each existing from the start as the default
    /// until a PUT replaces it. So a PUT always answers 200 (it updates what GET already showed), never 201.
    /// </summary>
    public static readonly FrozenSet<string> ProfileIds =
        (from channel in Enum.GetValues<OrderChannel>() from method in Enum.GetValues<DeliveryMethod>() select ProfileId(channel, method))
        .ToFrozenSet(StringComparer.Ordinal);

    private static readonly string ProfileIdRule =
        $"must be one of {string.Join(", ", ProfileIds.Order(StringComparer.Ordinal))} (channel-deliveryMethod).";

    public static string ProfileId(OrderChannel channel, DeliveryMethod method) =>
        $"{JsonNamingPolicy.CamelCase.ConvertName(channel.ToString())}-{JsonNamingPolicy.CamelCase.ConvertName(method.ToString())}";

    public static void MapSourcing(this IEndpointRouteBuilder app)
    {
        var sourcing = app.MapGroup("/api/v1/sourcing").WithTags("Sourcing");

        sourcing.MapPut("/profiles/{profileId}", async (string profileId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if (!ProfileIds.Contains(profileId))
            {
                return (IResult)Problems.Invalid("profileId", ProfileIdRule);
            }

            var body = await JsonBody.ReadAsync<SourcingProfileRequest>(http, Validate, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var r = body.Value!;

            var defaults = SourcingProfile.Default(profileId);
            var profile = new SourcingProfile(profileId, r.MaxSplit, r.Criteria ?? defaults.Criteria, r.TypePreference ?? defaults.TypePreference,
                r.AllowShipFromBoutiques, r.AllowBoutiqueTransfers);
            await grains.GetGrain<ISourcingProfileGrain>(profileId).Put(profile);
            return TypedResults.Ok(profile);
        })
        .RequireAuthorization(Policies.SourcingProfiles)
        .Accepts<SourcingProfileRequest>("application/json")
        .Produces<SourcingProfile>()
        .ProducesProblem(StatusCodes.Status400BadRequest);

        sourcing.MapGet("/profiles/{profileId}", async (string profileId, IGrainFactory grains) =>
            ProfileIds.Contains(profileId)
                ? (IResult)TypedResults.Ok(await grains.GetGrain<ISourcingProfileGrain>(profileId).Get())
                : Problems.NotFound("profileId", ProfileIdRule))
        .RequireAuthorization(Policies.SourcingProfiles)
        .Produces<SourcingProfile>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        // "What would happen if": the same body as a checkout, planned on live availability, nothing allocated.
        sourcing.MapPost("/simulate", async (HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            var (request, problem) = await OrderEndpoints.ReadOrder(http, grains, ct);
            if (problem is not null)
            {
                return problem;
            }

            // Decided by the same code as checkout, so the answer here is the answer checkout will give.
            var result = await grains.GetGrain<ISourcingSimulatorGrain>(0).Simulate(OrderRequests.ToCommand(request!));
            return result.Refusal is { } refusal
                ? OrderEndpoints.UnusableHold(request!, refusal.LineId, refusal.Message)
                : TypedResults.Ok(new SimulationResponse(result.Fulfilments, result.Unsourced));
        })
        .RequireAuthorization(Policies.SourcingSimulate)
        .WithMetadata(ReadOnlyEndpoint.Instance)
        .Accepts<OrderRequest>("application/json")
        .Produces<SimulationResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static FieldError? Validate(SourcingProfileRequest r)
    {
        if (r.MaxSplit is < 1 or > MaxSplitLimit)
        {
            return new("maxSplit", $"must be between 1 and {MaxSplitLimit}.");
        }

        if (r.Criteria is { } criteria && (criteria.Count == 0 || criteria.Distinct().Count() != criteria.Count))
        {
            return new("criteria", "list each criterion (locationType, distance, priority) at most once, and at least one.");
        }

        if (r.TypePreference is { } types && (types.Count == 0 || types.Distinct().Count() != types.Count))
        {
            return new("typePreference", "list each location type at most once, and at least one.");
        }

        return null;
    }
}
