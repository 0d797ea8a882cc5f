using Oms.Api.Http;
using Oms.Contracts.Security;

namespace Oms.Api.Security;

public static partial class AuditEndpoints
{
    public const string ActorRule = "^(anonymous|bootstrap|key:[0-9a-f]{16}|jwt:[!-~]{1,200})$";

    public const int MaxLimit = 1_000;

    public static void MapAudit(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/audit", async (string? after, string? actor, string? limit, IGrainFactory grains) =>
        {
            long from = 0;
            if (after is not null && (!long.TryParse(after, System.Globalization.NumberStyles.None, null, out from) || from > 1_000_000_000_000_000))
            {
                return (IResult)Problems.Invalid("after", "must be an audit id from a previous page (a whole number).");
            }

            var pageSize = 100;
            if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, null, out pageSize) || pageSize is < 1 or > MaxLimit))
            {
                return Problems.Invalid("limit", $"must be a whole number between 1 and {MaxLimit}.");
            }

            if (actor is not null && !ActorPattern().IsMatch(actor))
            {
                return Problems.Invalid("actor", "must be an actor as the log records it: key:<keyId>, jwt:<subject>, bootstrap or anonymous.");
            }

            return TypedResults.Ok(await grains.GetGrain<IAuditLogGrain>(0).Read(from, actor, pageSize));
        })
        .WithTags("Audit")
        .RequireAuthorization(Policies.Audit)
        .Produces<AuditPage>()
        .ProducesProblem(StatusCodes.Status400BadRequest);
    }

    [System.Text.RegularExpressions.GeneratedRegex(ActorRule)]
    private static partial System.Text.RegularExpressions.Regex ActorPattern();
}
