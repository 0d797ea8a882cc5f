using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using Oms.Contracts.Orders;
using Oms.Contracts.Security;

namespace Oms.Api.Security;

/// <summary>
/// Tokens of the retailer's identity provider, validated by ASP.NET Core's JwtBearer handler; this class only
/// turns the configured claims into a <see cref="Credential"/> and refuses a token that names no valid role.
/// </summary>
public static class JwtCredentials
{
    public const string Scheme = "Jwt";

    public static void Configure(JwtBearerOptions bearer, JwtOptions jwt)
    {
        bearer.MapInboundClaims = false;
        if (!string.IsNullOrEmpty(jwt.Authority))
        {
            bearer.Authority = jwt.Authority;
        }

        bearer.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateAudience = !string.IsNullOrEmpty(jwt.Audience),
            ValidAudience = jwt.Audience,
            ValidateIssuer = !string.IsNullOrEmpty(jwt.Issuer) || !string.IsNullOrEmpty(jwt.Authority),
            ValidIssuer = jwt.Issuer,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            IssuerSigningKey = string.IsNullOrEmpty(jwt.SigningKey) ? null : new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt.SigningKey)),
        };
        bearer.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                if (ToCredential(context.Principal!, jwt, out var why) is { } credential)
                {
                    context.Principal = new ClaimsPrincipal(new OmsIdentity(credential, Scheme));
                }
                else
                {
                    context.Fail(why!);
                }

                return Task.CompletedTask;
            },
        };
    }

    public static Credential? ToCredential(ClaimsPrincipal principal, JwtOptions jwt, out string? why)
    {
        why = null;
        var subject = principal.FindFirst("sub")?.Value;
        if (string.IsNullOrEmpty(subject) || subject.Length > 200)
        {
            why = "The token has no usable subject.";
            return null;
        }

        if (!Roles.TryParse(principal.FindFirst(jwt.RoleClaim)?.Value, out var role))
        {
            why = $"The token's '{jwt.RoleClaim}' claim names no OMS role.";
            return null;
        }

        var channels = new HashSet<OrderChannel>();
        foreach (var value in Values(principal, jwt.ChannelsClaim))
        {
            if (!Enum.TryParse<OrderChannel>(value, ignoreCase: true, out var channel) || !Enum.IsDefined(channel))
            {
                why = $"The token's '{jwt.ChannelsClaim}' claim names an unknown channel.";
                return null;
            }

            channels.Add(channel);
        }

        if (role == ApiRole.Storefront && channels.Any(c => !Credential.StorefrontChannels.Contains(c)))
        {
            why = $"The token's '{jwt.ChannelsClaim}' claim names a channel a storefront may not act for.";
            return null;
        }

        var locations = Values(principal, jwt.LocationsClaim).ToHashSet(StringComparer.Ordinal);
        var name = principal.FindFirst(jwt.NameClaim)?.Value is { Length: > 0 and <= 200 } n ? n : subject;
        return new Credential($"jwt:{subject}", name, role, channels, locations);
    }

    private static IEnumerable<string> Values(ClaimsPrincipal principal, string claim) =>
        principal.FindAll(claim).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
