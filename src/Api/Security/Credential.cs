using System.Security.Claims;
using Oms.Contracts.Orders;
using Oms.Contracts.Security;

namespace Oms.Api.Security;

/// <summary>
/// Who is calling, from the credential alone: an API key or a JWT. Channels and locations narrow a
/// storefront or store role; an empty set for those roles allows nothing, never everything.
/// </summary>
/// <param name="Actor"><c>key:&lt;keyId&gt;</c>, <c>jwt:&lt;subject&gt;</c> or <c>bootstrap</c>: what timelines, ledgers and the audit record.</param>
public sealed record Credential(
    string Actor,
    string Name,
    ApiRole Role,
    IReadOnlySet<OrderChannel> Channels,
    IReadOnlySet<string> LocationIds)
{
    /// <summary>The channels a storefront may be bound to: 'care' and 'store' belong to their own roles.</summary>
    public static IReadOnlySet<OrderChannel> StorefrontChannels { get; } = new HashSet<OrderChannel> { OrderChannel.Web, OrderChannel.App, OrderChannel.Kiosk };

    public bool SeesEveryChannel => Role is ApiRole.Admin or ApiRole.Care;


    public bool MayActFor(OrderChannel channel) => Role switch
    {
        ApiRole.Admin => true,
        ApiRole.Care => channel == OrderChannel.Care,
        ApiRole.Store => channel == OrderChannel.Store,
        ApiRole.Storefront => Channels.Contains(channel),
        _ => false,
    };

    /// <summary>Only the store role is bound by location; the role policy decides what the others may do anywhere.</summary>
    public bool MayActAt(string locationId) => Role != ApiRole.Store || LocationIds.Contains(locationId);

    /// <summary>Whether the order is one this credential may know exists.</summary>
    public bool Sees(OrderView order) => Role switch
    {
        ApiRole.Admin or ApiRole.Care => true,
        ApiRole.Storefront => Channels.Contains(order.Channel),
        ApiRole.Store => (order.Channel == OrderChannel.Store && order.StoreLocationId is { } store && LocationIds.Contains(store))
            || (order.Delivery.PickupLocationId is { } pickup && LocationIds.Contains(pickup)),
        _ => false,
    };

    public string RoleName => Roles.Name(Role);
}

/// <summary>The identity the authentication handlers hand to ASP.NET Core, carrying the parsed credential.</summary>
public sealed class OmsIdentity : ClaimsIdentity
{
    public OmsIdentity(Credential credential, string scheme)
        : base([new Claim(ClaimTypes.NameIdentifier, credential.Actor), new Claim(ClaimTypes.Name, credential.Name), new Claim(ClaimTypes.Role, credential.RoleName)], scheme)
    {
        Credential = credential;
    }

    /// <summary>A clone keeps the credential; a plain ClaimsIdentity would leave the endpoint without one.</summary>
    public override ClaimsIdentity Clone() => new OmsIdentity(Credential, AuthenticationType!);

    public Credential Credential { get; }
}

public static class Roles
{
    public static string Name(ApiRole role) => role switch
    {
        ApiRole.Storefront => "storefront",
        ApiRole.Care => "care",
        ApiRole.Store => "store",
        ApiRole.Integration => "integration",
        _ => "admin",
    };

    public static bool TryParse(string? name, out ApiRole role)
    {
        foreach (var candidate in Enum.GetValues<ApiRole>())
        {
            if (string.Equals(Name(candidate), name, StringComparison.Ordinal))
            {
                role = candidate;
                return true;
            }
        }

        role = default;
        return false;
    }
}

public static class CredentialExtensions
{
    /// <summary>The caller's credential. Endpoints run only after authorization, so there always is one.</summary>
    public static Credential Credential(this HttpContext http) =>
        (http.User.Identity as OmsIdentity)?.Credential ?? throw new InvalidOperationException("The endpoint ran without an authenticated credential.");

    public static Credential? CredentialOrNull(this HttpContext http) => (http.User.Identity as OmsIdentity)?.Credential;
}
