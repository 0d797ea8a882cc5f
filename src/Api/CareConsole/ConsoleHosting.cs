using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Oms.Api.Security;
using Oms.Contracts.Security;

namespace Oms.Api.CareConsole;

/// <summary>What the page knows of its session: who is signed in, and the token its changes must carry.</summary>
/// <param name="IdentityProvider">Whether the sign-in also takes a token from the retailer's identity provider.</param>
public sealed record ConsoleSessionView(
    bool SignedIn,
    string CsrfToken,
    bool IdentityProvider,
    string? Actor = null,
    string? Name = null,
    string? Role = null,
    IReadOnlyList<string>? LocationIds = null,
    DateTimeOffset? ExpiresAt = null);

/// <summary>
/// The care console at <c>/care</c>: static ES modules and a session that holds the agent's credential. The
/// page calls only the public <c>/api/v1</c>, so a retailer can replace it with a console of its own.
/// </summary>
public static class ConsoleHosting
{
    public const string Path = "/care";

    /// <summary>Roles whose work the console is for; a storefront's or an integration's key has no business here.</summary>
    private static readonly IReadOnlySet<ApiRole> ConsoleRoles = new HashSet<ApiRole> { ApiRole.Care, ApiRole.Store, ApiRole.Admin };

    // Only what the page loads and calls: its own files and the API, no inline script or style, no frames, and
    // DOM sinks only through lit-html's Trusted Types policy, so API text cannot become markup.
    private const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types lit-html";

    public static bool UsesSession(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments(Path + "/session") || path.StartsWithSegments(Oms.Grains.Diagnostics.OmsDashboard.Path);

    public static IServiceCollection AddCareConsole(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Oms:Console");
        services.AddOptions<ConsoleOptions>().Bind(section);
        var protection = services.AddDataProtection().SetApplicationName("Oms.Orleans");
        if (section.Get<ConsoleOptions>()?.KeyRingPath is { Length: > 0 } keyRing)
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(keyRing));
        }

        services.AddSingleton<ConsoleSession>();
        services.AddAntiforgery(o =>
        {
            o.HeaderName = ConsoleCsrfMiddleware.Header;
            o.Cookie.Name = "oms_csrf";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            // The console sets its own frame-ancestors policy; the header would only duplicate it on API answers.
            o.SuppressXFrameOptionsHeader = true;
        });
        return services;
    }

    /// <summary>The page's files, before the startup gate and security: they are the same for everyone and hold no data.</summary>
    public static WebApplication UseCareConsoleFiles(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.Enabled)
        {
            return app;
        }

        var files = new PhysicalFileProvider(System.IO.Path.Combine(AppContext.BaseDirectory, "console"));
        app.Use((http, next) =>
        {
            // A relative module path resolves against the directory, so /care must become /care/.
            if (http.Request.Path.Equals(Path, StringComparison.Ordinal) && HttpMethods.IsGet(http.Request.Method))
            {
                http.Response.Redirect(Path + "/" + http.Request.QueryString);
                return Task.CompletedTask;
            }

            return next(http);
        });
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = Path });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = Path,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // Revalidated on every load (ETags make it cheap), so an upgrade is never half old, half new.
                headers.CacheControl = "no-cache";
            },
        });
        return app;
    }

    /// <summary>Before authentication: the cookie becomes the request's credential.</summary>
    public static WebApplication UseCareConsoleSession(this WebApplication app)
    {
        app.UseMiddleware<ConsoleSessionMiddleware>();
        return app;
    }

    public static void MapCareConsole(this IEndpointRouteBuilder app)
    {
        var session = app.MapGroup(Path + "/session").AllowAnonymous().ExcludeFromDescription();

        // Whoever the cookie says, or nobody; with the token the next change must carry, bound to that identity.
        session.MapGet("/", (HttpContext http, ConsoleSession sessions, IAntiforgery antiforgery, IOptions<SecurityOptions> security) =>
        {
            if (http.Items.ContainsKey(ConsoleSession.FromCookie) && http.CredentialOrNull() is { } credential)
            {
                return View(http, antiforgery, security.Value, credential, sessions.Read(http)?.ExpiresAt);
            }

            // A session whose key was revoked or expired since is over: the page goes back to sign-in.
            sessions.End(http);
            return View(http, antiforgery, security.Value, null, null);
        });

        // The key comes as the Authorization header, as on every API call, so the one authentication path (API key
        // or identity-provider token) decides; a cross-site form cannot send that header, so sign-in needs no CSRF token.
        session.MapPost("/", (HttpContext http, ConsoleSession sessions, IAntiforgery antiforgery, IOptions<SecurityOptions> security) =>
        {
            if (http.Items.ContainsKey(ConsoleSession.FromCookie) || BearerToken.Read(http.Request) is not { } token)
            {
                return SignInRefused(StatusCodes.Status400BadRequest, "is required, as the Authorization header 'Bearer <key>'.");
            }

            if (http.CredentialOrNull() is not { } credential)
            {
                return SignInRefused(StatusCodes.Status401Unauthorized, "is not known, has expired or was revoked.");
            }

            if (!ConsoleRoles.Contains(credential.Role))
            {
                return SignInRefused(StatusCodes.Status403Forbidden, $"is a {credential.RoleName} key: the console signs in care, store and admin credentials.");
            }

            var expires = sessions.Start(http, token);
            return View(http, antiforgery, security.Value, credential, expires);
        });

        session.MapDelete("/", (HttpContext http, ConsoleSession sessions) =>
        {
            sessions.End(http);
            return TypedResults.NoContent();
        });
    }

    private static IResult View(HttpContext http, IAntiforgery antiforgery, SecurityOptions security, Credential? credential, DateTimeOffset? expires)
    {
        http.Response.Headers.CacheControl = "no-store";
        var csrf = antiforgery.GetAndStoreTokens(http).RequestToken!;
        return TypedResults.Ok(credential is null
            ? new ConsoleSessionView(false, csrf, security.Jwt.Enabled)
            : new ConsoleSessionView(true, csrf, security.Jwt.Enabled, credential.Actor, credential.Name, credential.RoleName,
                [.. credential.LocationIds.Order(StringComparer.Ordinal)], expires));
    }

    private static IResult SignInRefused(int status, string message) => TypedResults.Problem(
        title: status switch
        {
            StatusCodes.Status401Unauthorized => "The key was not accepted.",
            StatusCodes.Status403Forbidden => "This key cannot sign in to the console.",
            _ => "The request is invalid.",
        },
        detail: "The key " + message,
        statusCode: status,
        extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["key"] = [message] } });
}
