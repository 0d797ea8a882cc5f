using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Oms.Contracts.Security;

namespace Oms.Api.Security;

/// <summary>
/// <c>Authorization: Bearer oms_…</c>. Failures say why in general terms only: the token itself is never
/// echoed, logged or compared in a way whose timing depends on how much of it was right.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggers,
    UrlEncoder encoder,
    ApiKeyCache keys,
    IOptions<SecurityOptions> security,
    TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggers, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>The bootstrap key's actor: it has no key id, and the audit must still tell it apart.</summary>
    public const string BootstrapActor = "bootstrap";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BearerToken.Read(Request) is not { } token)
        {
            return Request.Headers.Authorization.Count == 0
                ? AuthenticateResult.NoResult()
                : AuthenticateResult.Fail("The Authorization header must be one 'Bearer <key>'.");
        }

        // A registry key first: the bootstrap comparison hashes twice, and only the rare bootstrap call should pay it.
        if (ApiKeyFormat.KeyIdOf(token) is not { } keyId || await keys.FindForRequest(keyId) is not { } cached)
        {
            return security.Value.BootstrapAdminKey is { Length: > 0 } bootstrap && ApiKeyFormat.SameSecret(token, bootstrap)
                ? Bootstrap.Value
                : AuthenticateResult.Fail("The key is not known.");
        }

        var key = cached.Record;
        var now = clock.GetUtcNow();
        if (!cached.Matches(token, now))
        {
            return AuthenticateResult.Fail("The key is not known.");
        }

        if (!key.IsActive(now))
        {
            return AuthenticateResult.Fail(key.RevokedAt is null ? "The key has expired." : "The key was revoked.");
        }

        return cached.Success;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Request.Headers.Authorization.Count == 0 ? "Bearer" : "Bearer error=\"invalid_token\"";
        return Task.CompletedTask;
    }

    private static readonly Lazy<AuthenticateResult> Bootstrap = new(() => Ticket(
        new Credential(BootstrapActor, "bootstrap admin key", ApiRole.Admin, new HashSet<Oms.Contracts.Orders.OrderChannel>(), new HashSet<string>())));

    public static AuthenticateResult Ticket(Credential credential) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new OmsIdentity(credential, SchemeName)), SchemeName));
}

public static class BearerToken
{
    /// <returns>The token of a single well-formed <c>Bearer</c> header, else null.</returns>
    public static string? Read(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { } value || value.Length > ApiKeyFormat.MaxTokenLength
            || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = value[7..].Trim();
        return token.Length == 0 ? null : token;
    }

    /// <summary>A JWT has three dot-separated parts; this deployment's API keys have none.</summary>
    public static bool LooksLikeJwt(string token) => token.Count(c => c == '.') == 2 && !token.StartsWith("oms_", StringComparison.Ordinal);
}
