using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Oms.Contracts.Security;

namespace Oms.Api.Security;

/// <summary>Credentials, the role policies, rate limits, CORS, request timeouts and the audit, as one setup.</summary>
public static class SecurityHosting
{
    /// <summary>With an identity provider configured: forwards to the API-key or the JWT handler by the token's shape.</summary>
    public const string Scheme = "Bearer";

    public static IServiceCollection AddOmsSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Oms:Security");
        services.AddOptions<SecurityOptions>().Bind(section);
        var settings = section.Get<SecurityOptions>() ?? new SecurityOptions();

        services.AddSingleton<ApiKeyCache>();
        services.AddHostedService(sp => sp.GetRequiredService<ApiKeyCache>());
        services.AddSingleton<AuditWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());

        // Without an identity provider the key handler is the default itself: a forwarding scheme costs every request.
        var authentication = services.AddAuthentication(settings.Jwt.Enabled ? Scheme : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        if (settings.Jwt.Enabled)
        {
            // An identity provider issues tokens for many applications: without an audience, any of them would do here.
            if (!string.IsNullOrEmpty(settings.Jwt.Authority) && string.IsNullOrEmpty(settings.Jwt.Audience))
            {
                throw new InvalidOperationException("Oms:Security:Jwt:Audience is required with Oms:Security:Jwt:Authority.");
            }

            if (settings.Jwt.SigningKey is { Length: > 0 } signingKey && System.Text.Encoding.UTF8.GetByteCount(signingKey) < 32)
            {
                throw new InvalidOperationException("Oms:Security:Jwt:SigningKey must be at least 32 bytes.");
            }

            authentication
                .AddPolicyScheme(Scheme, "API key or JWT", o => o.ForwardDefaultSelector = http =>
                    BearerToken.Read(http.Request) is { } token && BearerToken.LooksLikeJwt(token) ? JwtCredentials.Scheme : ApiKeyAuthenticationHandler.SchemeName)
                .AddJwtBearer(JwtCredentials.Scheme, o => JwtCredentials.Configure(o, settings.Jwt));
        }

        services.AddAuthorization(Policies.Add);
        services.AddSingleton<IAuthorizationHandler, RoleRequirementHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AuthorizationProblems>();

        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => Partition(http, settings));
            o.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await TypedResults.Problem(
                    title: "Too many requests.",
                    detail: $"This credential's rate limit is spent; retry after {retryAfter} s.",
                    statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(context.HttpContext);
            };
        });

        services.AddRequestTimeouts(o => o.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = settings.RequestTimeout,
            TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
            WriteTimeoutResponse = http => TypedResults.Problem(
                title: "The request took too long.",
                detail: $"Cut off after {settings.RequestTimeout.TotalSeconds:0} s; a retry with the same ids is safe.",
                statusCode: StatusCodes.Status504GatewayTimeout).ExecuteAsync(http),
        });

        services.AddCors(o => o.AddDefaultPolicy(policy =>
        {
            policy.WithOrigins(settings.Cors.AllowedOrigins)
                .WithMethods("GET", "POST", "PUT", "DELETE")
                .WithHeaders("Authorization", "Content-Type", "Idempotency-Key")
                .WithExposedHeaders("Location", "Retry-After");
        }));

        return services;
    }

    /// <summary>After routing and the startup gate: CORS answers preflights (which carry no key) first.</summary>
    public static WebApplication UseOmsSecurity(this WebApplication app)
    {
        app.UseCors();
        app.UseAuthentication();
        app.UseMiddleware<Oms.Api.CareConsole.ConsoleCsrfMiddleware>();
        app.UseRateLimiter();
        app.UseRequestTimeouts();
        app.UseMiddleware<AuditMiddleware>();
        app.UseAuthorization();
        app.Use(async (http, next) =>
        {
            // Async, so the request context set here is undone when this request's pipeline returns.
            if (http.CredentialOrNull() is { } credential)
            {
                ActorContext.Set(credential.Actor, credential.Name);
            }

            await next(http);
        });
        return app;
    }

    private static RateLimitPartition<string> Partition(HttpContext http, SecurityOptions settings)
    {
        // The console's sign-in is a credential check like any API call: it is throttled like one.
        if (!http.Request.Path.StartsWithSegments("/api") && !http.Request.Path.StartsWithSegments(Oms.Api.CareConsole.ConsoleHosting.Path + "/session"))
        {
            // Health probes and the API document: a load balancer polling must never be throttled.
            return RateLimitPartition.GetNoLimiter("open");
        }

        var credential = http.CredentialOrNull();
        var (partition, limit) = credential is null
            ? ($"ip:{http.Connection.RemoteIpAddress}", settings.LimitFor(RateLimit.Anonymous))
            : (credential.Actor, settings.LimitFor(credential.RoleName));
        return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, limit.Burst),
            TokensPerPeriod = Math.Max(1, limit.PermitsPerSecond),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }
}
