using Microsoft.AspNetCore.Http.HttpResults;
using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.Orders;
using Oms.Contracts.Security;

namespace Oms.Api.Orders;

/// <summary>Which orders a credential may place and know of: its channels, or for a store its boutiques.</summary>
public static class OrderScopes
{
    /// <returns>The request with the boutique a store order is placed at filled in, or the refusal.</returns>
    public static (OrderRequest? Request, IResult? Problem) Place(HttpContext http, OrderRequest request)
    {
        if (Access.ForChannel(http, request.Channel) is { } wrongChannel)
        {
            return (null, wrongChannel);
        }

        var credential = http.Credential();
        if (credential.Role != ApiRole.Store)
        {
            return (request, null);
        }

        // A boutique tablet acts for its own boutique; a key for several must say which one the sale is at.
        var store = request.StoreLocationId ?? (credential.LocationIds.Count == 1 ? credential.LocationIds.First() : null);
        if (store is null)
        {
            return (null, Problems.Invalid("storeLocationId", "is required: this store key acts for several boutiques."));
        }

        return Access.AtLocation(http, store, "storeLocationId") is { } elsewhere
            ? (null, elsewhere)
            : (request with { StoreLocationId = store }, null);
    }

    /// <returns>The order, or null when it does not exist or is not the caller's to know of.</returns>
    public static async Task<OrderView?> Visible(HttpContext http, IGrainFactory grains, string orderId) =>
        await grains.GetGrain<IOrderGrain>(orderId).Get() is { } view && http.Credential().Sees(view) ? view : null;

    /// <summary>The same answer for another channel's order as for an unknown id, so ids cannot be probed.</summary>
    public static ProblemHttpResult NotFound(string orderId) => Problems.NotFound("orderId", $"order '{orderId}' does not exist.");
}
