using System.Security.Cryptography;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Oms.Api.Security;

namespace Oms.Api.CareConsole;

/// <summary>
/// The console's session: the credential the agent signed in with, encrypted and signed by ASP.NET Core data
/// protection into an HttpOnly, SameSite=Strict cookie, so the key never reaches the page's script. Each request
/// turns the cookie back into the <c>Authorization</c> header before authentication, so the console is
/// authenticated, authorised, rate-limited and audited exactly as any other client of the API, and a revoked key
/// ends its sessions within the key refresh period.
/// </summary>
public sealed class ConsoleSession(IDataProtectionProvider protection, IOptions<ConsoleOptions> options, TimeProvider clock)
{
    public const string CookieName = "oms_session";

    /// <summary>Marks a request authenticated by the cookie, which must then carry the CSRF token to change anything.</summary>
    public const string FromCookie = "oms.console.session";

    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("Oms.Console.Session.v1").ToTimeLimitedDataProtector();

    public DateTimeOffset Start(HttpContext http, string token)
    {
        var expires = clock.GetUtcNow() + options.Value.SessionLifetime;
        // No Expires on the cookie itself: closing the browser ends the session too.
        http.Response.Cookies.Append(CookieName, _protector.Protect(token, expires), Cookie(http));
        return expires;
    }

    public void End(HttpContext http) => http.Response.Cookies.Delete(CookieName, Cookie(http));

    /// <returns>The credential token and when the session ends, or null when there is no cookie, or it is forged,
    /// expired or from another key ring.</returns>
    public (string Token, DateTimeOffset ExpiresAt)? Read(HttpContext http)
    {
        if (!http.Request.Cookies.TryGetValue(CookieName, out var value) || value is not { Length: > 0 and <= 8_192 })
        {
            return null;
        }

        try
        {
            var token = _protector.Unprotect(value, out var expires);
            return expires > clock.GetUtcNow() ? (token, expires) : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static CookieOptions Cookie(HttpContext http) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        // Secure wherever the console is served over TLS; plain http only works on a developer's loopback.
        Secure = http.Request.IsHttps,
        Path = "/",
        IsEssential = true,
    };
}

/// <summary>Before authentication: a request with the session cookie and no header of its own is the console's.</summary>
public sealed class ConsoleSessionMiddleware(RequestDelegate next, ConsoleSession session)
{
    public Task InvokeAsync(HttpContext http)
    {
        if (http.Request.Headers.Authorization.Count == 0 && ConsoleHosting.UsesSession(http.Request.Path) && session.Read(http) is { } signedIn)
        {
            http.Request.Headers.Authorization = "Bearer " + signedIn.Token;
            http.Items[ConsoleSession.FromCookie] = true;
        }

        return next(http);
    }
}

/// <summary>
/// After authentication: a cookie-authenticated change must carry the antiforgery token the session endpoint gave
/// the page. SameSite=Strict already keeps the cookie off other sites' requests; this holds if a browser or a
/// sibling subdomain does not. A bearer caller needs nothing: no browser attaches that header by itself.
/// </summary>
public sealed class ConsoleCsrfMiddleware(RequestDelegate next, IAntiforgery antiforgery)
{
    public const string Header = "X-CSRF-Token";

    public async Task InvokeAsync(HttpContext http)
    {
        if (http.Items.ContainsKey(ConsoleSession.FromCookie) && !IsSafe(http.Request.Method) && !await IsValid(http))
        {
            await TypedResults.Problem(
                title: "The console's request token is missing or wrong.",
                detail: $"A change made with the console's session must carry the {Header} header its session gave; reload the page.",
                statusCode: StatusCodes.Status403Forbidden,
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [Header] = ["is missing or does not match this session."] } })
                .ExecuteAsync(http);
            return;
        }

        await next(http);
    }

    private async Task<bool> IsValid(HttpContext http)
    {
        try
        {
            return await antiforgery.IsRequestValidAsync(http);
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }

    private static bool IsSafe(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);
}
