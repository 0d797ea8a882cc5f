using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Grains.Fulfilments;

// Plural: the singular would shadow the Fulfilment record (a sourcing plan's part) everywhere under Oms.Api.
namespace Oms.Api.Fulfilments;

public static class WorkQueueEndpoints
{
    /// <summary>The statuses a fulfilment waits in at a location; the others have left its queue.</summary>
    public static readonly IReadOnlyDictionary<string, FulfilmentStatus> OpenStatuses = new Dictionary<string, FulfilmentStatus>(StringComparer.Ordinal)
    {
        ["requested"] = FulfilmentStatus.Requested,
        ["accepted"] = FulfilmentStatus.Accepted,
        ["packed"] = FulfilmentStatus.Packed,
        ["shipped"] = FulfilmentStatus.Shipped,
        ["received"] = FulfilmentStatus.Received,
        ["readyForPickup"] = FulfilmentStatus.ReadyForPickup,
    };

    public static string StatusPattern => $"^({string.Join("|", OpenStatuses.Keys)})$";

    public static void MapFulfilmentQueue(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/locations/{locationId}/fulfilments", async (string locationId, string? status, string? limit, string? cursor,
            HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Access.AtLocation(http, locationId, "locationId")) is { } refused)
            {
                return (IResult)refused;
            }

            FulfilmentStatus? wanted = null;
            if (status is not null)
            {
                if (!OpenStatuses.TryGetValue(status, out var known))
                {
                    return Problems.Invalid("status", $"must be one of {string.Join(", ", OpenStatuses.Keys)}.");
                }

                wanted = known;
            }

            var pageSize = FulfilmentQueue.DefaultLimit;
            if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize)
                || pageSize is < 1 or > FulfilmentQueue.MaxLimit))
            {
                return Problems.Invalid("limit", $"must be a whole number between 1 and {FulfilmentQueue.MaxLimit}.");
            }

            // Checked here rather than in the grain, so a mangled cursor is the client's 400 and never a failed call.
            if (cursor is not null && !FulfilmentQueue.TryReadCursor(cursor, out _))
            {
                return Problems.Invalid("cursor", "is not a cursor this list gave out; pass a page's next as it is.");
            }

            if (await grains.GetGrain<ILocationGrain>(locationId).Get() is null)
            {
                return Problems.NotFound("locationId", $"location '{locationId}' is not registered.");
            }

            // The queue's contract takes no token; a client that has gone is not worth the second call.
            ct.ThrowIfCancellationRequested();
            var page = await grains.GetGrain<IFulfilmentQueueGrain>(locationId).List(wanted, pageSize, cursor);
            return TypedResults.Ok(page);
        })
        .WithTags("Fulfilment")
        .RequireAuthorization(Policies.FulfilmentQueue)
        .Produces<FulfilmentTaskPage>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);
    }
}
