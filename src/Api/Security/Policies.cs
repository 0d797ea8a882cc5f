using Microsoft.AspNetCore.Authorization;
using Oms.Contracts.Security;

namespace Oms.Api.Security;

/// <summary>
/// Every endpoint under /api/v1 names one of these. A policy is a set of roles; which channels or locations a
/// bound role may act for is checked by the endpoint itself (<see cref="Access"/>), since only it knows the
/// resource. The table is the one place the role matrix lives: the README and the tests read it from here.
/// </summary>
public static class Policies
{
    public const string Availability = "availability";
    public const string BoutiqueStock = "boutique-stock";
    public const string ClickAndCollect = "click-and-collect";
    public const string Reservations = "reservations";
    public const string Holds = "holds";
    public const string StockRead = "stock:read";
    public const string StockFeeds = "stock:feeds";
    public const string StockVerify = "stock:verify";
    public const string LocationsRead = "locations:read";
    public const string LocationsWrite = "locations:write";
    public const string SourcingProfiles = "sourcing:profiles";
    public const string SourcingSimulate = "sourcing:simulate";
    public const string OrdersPlace = "orders:place";
    public const string OrdersRead = "orders:read";
    public const string OrdersCancel = "orders:cancel";
    public const string OrderNotes = "orders:notes";
    public const string CustomerOrders = "customers:orders";
    public const string ApiKeys = "api-keys";
    public const string Audit = "audit";
    public const string EventsRead = "events:read";
    public const string Webhooks = "webhooks";
    public const string FulfilmentEvents = "fulfilment:events";
    public const string FulfilmentRead = "fulfilment:read";
    public const string FulfilmentQueue = "fulfilment:queue";
    public const string OrdersResource = "orders:resource";
    public const string OrdersPickup = "orders:pickup";
    public const string ReturnsAuthorise = "returns:authorise";
    public const string ReturnsReceive = "returns:receive";
    public const string ReturnsRead = "returns:read";
    public const string ReturnsQueue = "returns:queue";
    public const string RefundEvents = "refunds:events";
    public const string OrdersExchange = "orders:exchange";
    public const string OrdersSearch = "orders:search";
    public const string OrderSearchRebuild = "orders:search:rebuild";
    public const string CarriersRead = "carriers:read";
    public const string CarriersWrite = "carriers:write";
    public const string Promise = "promise";
    public const string PromiseMetrics = "metrics:promise";
    public const string Metrics = "metrics";
    public const string Cluster = "cluster:read";
    public const string Dashboard = "dashboard";

    private const ApiRole Storefront = ApiRole.Storefront, Care = ApiRole.Care, Store = ApiRole.Store, Integration = ApiRole.Integration, Admin = ApiRole.Admin;

    public static IReadOnlyDictionary<string, IReadOnlySet<ApiRole>> Roles { get; } = new Dictionary<string, IReadOnlySet<ApiRole>>
    {
        [Availability] = Set(Storefront, Care, Store, Admin),
        [BoutiqueStock] = Set(Storefront, Care, Store, Admin),
        [ClickAndCollect] = Set(Storefront, Care, Store, Admin),
        [Reservations] = Set(Storefront, Admin),
        [Holds] = Set(Storefront, Store, Admin),
        [StockRead] = Set(Care, Store, Integration, Admin),
        [StockFeeds] = Set(Store, Integration, Admin),
        [StockVerify] = Set(Integration, Admin),
        [LocationsRead] = Set(Care, Store, Integration, Admin),
        [LocationsWrite] = Set(Admin),
        [SourcingProfiles] = Set(Admin),
        [SourcingSimulate] = Set(Care, Admin),
        [OrdersPlace] = Set(Storefront, Care, Store, Admin),
        [OrdersRead] = Set(Storefront, Care, Store, Admin),
        [OrdersCancel] = Set(Storefront, Care, Store, Admin),
        [OrderNotes] = Set(Care, Store, Admin),
        [CustomerOrders] = Set(Storefront, Care, Admin),
        [ApiKeys] = Set(Admin),
        [Audit] = Set(Admin),
        [EventsRead] = Set(Integration, Admin),
        [Webhooks] = Set(Integration, Admin),
        [FulfilmentEvents] = Set(Store, Integration, Admin),
        [FulfilmentRead] = Set(Storefront, Care, Store, Integration, Admin),
        [FulfilmentQueue] = Set(Store, Integration, Admin),
        [OrdersResource] = Set(Care, Admin),
        // The customer's choice of counter, made through care or the storefront of the order's channel. Not a store
        // key: it acts for its own boutiques, and moving an order is acting for another boutique's counter.
        [OrdersPickup] = Set(Storefront, Care, Admin),
        [ReturnsAuthorise] = Set(Storefront, Care, Store, Admin),
        [ReturnsReceive] = Set(Store, Integration, Admin),
        [ReturnsRead] = Set(Storefront, Care, Store, Integration, Admin),
        [ReturnsQueue] = Set(Care, Store, Integration, Admin),
        [RefundEvents] = Set(Integration, Admin),
        [OrdersExchange] = Set(Storefront, Care, Store, Admin),
        [OrdersSearch] = Set(Storefront, Care, Store, Admin),
        [OrderSearchRebuild] = Set(Admin),
        [CarriersRead] = Set(Care, Store, Integration, Admin),
        // Carrier tables come from the carrier contracts: the same hands as the network's profiles.
        [CarriersWrite] = Set(Admin),
        [Promise] = Set(Storefront, Care, Store, Admin),
        [PromiseMetrics] = Set(Care, Integration, Admin),
        // The process's own meters: cluster internals an operator reads, not a business partner.
        [Metrics] = Set(Admin),
        [Cluster] = Set(Admin),
        [Dashboard] = Set(Admin),
    };

    public static void Add(AuthorizationOptions options)
    {
        foreach (var (policy, roles) in Roles)
        {
            // One requirement: the role check fails for an anonymous caller too, which is answered 401 (the policy
            // evaluator challenges when authentication did not succeed), so a separate authenticated-user check
            // would only cost every request a second evaluation.
            options.AddPolicy(policy, p => p.AddRequirements(new RoleRequirement(policy, roles)));
        }

        // An endpoint that forgot its policy is admin-only rather than open; a test fails on it all the same.
        options.FallbackPolicy = options.GetPolicy(ApiKeys);
    }

    private static HashSet<ApiRole> Set(params ApiRole[] roles) => [.. roles];
}

public sealed class RoleRequirement(string policy, IReadOnlySet<ApiRole> roles) : IAuthorizationRequirement
{
    public string Policy { get; } = policy;

    public IReadOnlySet<ApiRole> Roles { get; } = roles;
}

public sealed class RoleRequirementHandler : AuthorizationHandler<RoleRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RoleRequirement requirement)
    {
        if (context.User.Identity is OmsIdentity { Credential: var credential } && requirement.Roles.Contains(credential.Role))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
