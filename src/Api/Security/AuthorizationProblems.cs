using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Oms.Api.Security;

/// <summary>401 and 403 as RFC 9457 problems: a client learns what to fix, never a bare status.</summary>
public sealed class AuthorizationProblems : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Challenged)
        {
            await context.ChallengeAsync();
            var missing = context.Request.Headers.Authorization.Count == 0;
            await TypedResults.Problem(
                title: "A valid credential is required.",
                detail: missing
                    ? "Send 'Authorization: Bearer <key>' with an API key or a token of the configured identity provider."
                    : "The credential is unknown, expired, revoked or malformed.",
                statusCode: StatusCodes.Status401Unauthorized,
                extensions: new Dictionary<string, object?> { ["missing"] = "credential" }).ExecuteAsync(context);
            return;
        }

        if (result.Forbidden)
        {
            var requirement = result.AuthorizationFailure?.FailedRequirements.OfType<RoleRequirement>().FirstOrDefault();
            var role = context.CredentialOrNull()?.RoleName ?? "unknown";
            var allowed = requirement is null ? "admin" : string.Join(", ", requirement.Roles.Select(Roles.Name));
            await Access.Forbidden("role", $"The '{role}' role may not do this ({requirement?.Policy ?? "admin only"}); it needs one of: {allowed}.")
                .ExecuteAsync(context);
            return;
        }

        await _default.HandleAsync(next, context, policy, result);
    }
}

/// <summary>The checks only an endpoint can make: whether a bound credential may act for this channel or location.</summary>
public static class Access
{
    /// <param name="missing"><c>role</c>, <c>channel</c> or <c>location</c>: what the credential lacks.</param>
    public static ProblemHttpResult Forbidden(string missing, string detail, string? field = null) =>
        TypedResults.Problem(
            title: "The credential may not do this.",
            detail: detail,
            statusCode: StatusCodes.Status403Forbidden,
            extensions: field is null
                ? new Dictionary<string, object?> { ["missing"] = missing }
                : new Dictionary<string, object?> { ["missing"] = missing, ["errors"] = new Dictionary<string, string[]> { [field] = [detail] } });

    /// <summary>Null when the caller may act at the location: every role but <c>store</c> is unbound by location.</summary>
    public static ProblemHttpResult? AtLocation(HttpContext http, string locationId, string field = "locationId")
    {
        var credential = http.Credential();
        return credential.MayActAt(locationId)
            ? null
            : Forbidden("location", $"This store credential may not act for location '{locationId}'.", field);
    }

    public static ProblemHttpResult? ForChannel(HttpContext http, Oms.Contracts.Orders.OrderChannel channel, string field = "channel")
    {
        var credential = http.Credential();
        return credential.MayActFor(channel)
            ? null
            : Forbidden("channel", $"This '{credential.RoleName}' credential may not act for channel '{System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(channel.ToString())}'.", field);
    }
}
