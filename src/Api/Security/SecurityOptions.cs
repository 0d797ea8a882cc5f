namespace Oms.Api.Security;

/// <summary><c>Oms:Security</c>.</summary>
public sealed class SecurityOptions
{
    /// <summary>Accepted as an admin key when set: how a deployment, and a test, gets its first key.</summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>How often each API node asks the registry whether keys changed: bounds how late a revocation bites.</summary>
    public TimeSpan KeyRefresh { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Per role (storefront, care, store, integration, admin), and <c>anonymous</c> per remote address.</summary>
    public Dictionary<string, RateLimit> RateLimits { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Longest a request may take before it is cut off with a 504; above the cluster's own call timeout.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public CorsOptions Cors { get; set; } = new();

    public JwtOptions Jwt { get; set; } = new();

    public RateLimit LimitFor(string partition) =>
        RateLimits.TryGetValue(partition, out var configured) ? configured
        : partition == RateLimit.Anonymous ? new RateLimit { PermitsPerSecond = 200, Burst = 1_000 }
        : new RateLimit();
}

/// <summary>A token bucket: <see cref="Burst"/> requests at once, refilled at <see cref="PermitsPerSecond"/>.</summary>
public sealed class RateLimit
{
    public const string Anonymous = "anonymous";

    // Generous by default: a storefront's back end multiplexes thousands of shoppers over one key, and the load
    // benchmarks must run with authentication on without tuning. Operators lower them per role.
    public int PermitsPerSecond { get; set; } = 20_000;

    public int Burst { get; set; } = 40_000;
}

public sealed class CorsOptions
{
    /// <summary>Browser storefront origins allowed to call the API; none by default.</summary>
    public string[] AllowedOrigins { get; set; } = [];
}

/// <summary>Bearer tokens from the retailer's identity provider, when an authority or a signing key is set.</summary>
public sealed class JwtOptions
{
    public string? Authority { get; set; }

    public string? Audience { get; set; }

    /// <summary>A symmetric key (at least 32 bytes) instead of an authority's published keys: for tests and closed setups.</summary>
    public string? SigningKey { get; set; }

    public string? Issuer { get; set; }

    public string RoleClaim { get; set; } = "oms_role";

    /// <summary>Repeated, or one claim of space-separated values, as identity providers variously emit lists.</summary>
    public string ChannelsClaim { get; set; } = "oms_channels";

    public string LocationsClaim { get; set; } = "oms_locations";

    public string NameClaim { get; set; } = "name";

    public bool Enabled => !string.IsNullOrEmpty(Authority) || !string.IsNullOrEmpty(SigningKey);
}
