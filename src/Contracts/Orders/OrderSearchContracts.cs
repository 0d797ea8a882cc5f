using Orleans.Concurrency;

namespace Oms.Contracts.Orders;

/// <summary>One order as care searches for it: who, where, how far along, and what it is worth.</summary>
/// <param name="LocationIds">Every location the order touches: its fulfilments', the pickup boutique, the boutique it was placed in.</param>
/// <param name="Position">The feed position of the event this row was last projected from; an older one never overwrites it.</param>
[GenerateSerializer, Immutable, Alias("oms.OrderSummary")]
public sealed record OrderSummary(
    [property: Id(0)] string OrderId,
    [property: Id(1)] DateTimeOffset CreatedAt,
    [property: Id(2)] DateTimeOffset UpdatedAt,
    [property: Id(3)] OrderStatus Status,
    [property: Id(4)] OrderChannel Channel,
    [property: Id(5)] string CustomerId,
    [property: Id(6)] string? Email,
    [property: Id(7)] string? Name,
    [property: Id(8)] IReadOnlyList<string> LocationIds,
    [property: Id(9)] string? NeedsAttention,
    [property: Id(10)] decimal Total,
    [property: Id(11)] string Currency,
    [property: Id(12)] int Units,
    [property: Id(13)] long Position);

/// <summary>Which end of time a search starts from: newest for finding an order, oldest for working through a queue.</summary>
[GenerateSerializer, Alias("oms.OrderSort")]
public enum OrderSort { Newest = 0, Oldest = 1 }

/// <summary>What care, a storefront or a boutique searches orders by; every filter given must match.</summary>
/// <param name="Q">Free text over the order id, the email and the name.</param>
/// <param name="Channels">The channels the credential may see; null for every channel.</param>
/// <param name="Locations">The boutiques a store credential acts for; null for every location.</param>
/// <param name="Sort">Newest first unless asked; a cursor belongs to the direction that gave it.</param>
[GenerateSerializer, Immutable, Alias("oms.OrderQuery")]
public sealed record OrderQuery(
    [property: Id(0)] int Limit,
    [property: Id(1)] string? Cursor = null,
    [property: Id(2)] string? Email = null,
    [property: Id(3)] string? CustomerId = null,
    [property: Id(4)] string? Name = null,
    [property: Id(5)] OrderStatus? Status = null,
    [property: Id(6)] OrderChannel? Channel = null,
    [property: Id(7)] string? LocationId = null,
    [property: Id(8)] bool? NeedsAttention = null,
    [property: Id(9)] DateTimeOffset? CreatedFrom = null,
    [property: Id(10)] DateTimeOffset? CreatedTo = null,
    [property: Id(11)] string? Q = null,
    [property: Id(12)] IReadOnlyList<OrderChannel>? Channels = null,
    [property: Id(13)] IReadOnlyList<string>? Locations = null,
    [property: Id(14)] OrderSort Sort = OrderSort.Newest);

[GenerateSerializer, Immutable, Alias("oms.OrderSearchPage")]
public sealed record OrderSearchPage([property: Id(0)] IReadOnlyList<OrderSummary> Items, [property: Id(1)] string? Next);

/// <summary>
/// Order search's projection, one for the cluster (key 0): it follows the event feed and keeps a row per order,
/// and answers searches from those rows, never by asking the order grains.
/// </summary>
[Alias("oms.IOrderIndexGrain")]
public interface IOrderIndexGrain : IGrainWithIntegerKey
{
    [Alias("Search"), Oms.Contracts.Faults.Idempotent]
    Task<OrderSearchPage> Search(OrderQuery query);

    /// <summary>The feed position the rows reflect.</summary>
    [Alias("Checkpoint")]
    Task<long> Checkpoint();

    /// <summary>Forgets every row and projects the feed again from its start.</summary>
    [Alias("Rebuild")]
    Task Rebuild();

    /// <summary>Keeps the projection running; every silo sends it now and then, so it comes back after its silo died.</summary>
    [OneWay, Alias("Keep")]
    Task Keep();
}
