using Oms.Contracts.Availability;
using Oms.Contracts.Locations;

namespace Oms.Contracts.ClickAndCollect;

[GenerateSerializer, Alias("oms.AvailabilityView")]
public enum AvailabilityView
{
    /// <summary>What e-commerce may sell: shop buffers deducted, paused and non-shipping locations left out.</summary>
    Online = 0,
    /// <summary>What is physically available to sell in each shop.</summary>
    Store = 1,
}

[GenerateSerializer, Alias("oms.PickupKind")]
public enum PickupKind
{
    Today = 0,
    Later = 1,
    /// <summary>The boutique lacks some units; a warehouse sends them to it (ship-to-store).</summary>
    Transfer = 2,
}

[GenerateSerializer, Alias("oms.LineSource")]
public enum LineSource
{
    Here = 0,
    Transfer = 1,
    Unavailable = 2,
}

[GenerateSerializer, Immutable, Alias("oms.PickupLine")]
public sealed record PickupLine(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Quantity);

[GenerateSerializer, Immutable, Alias("oms.PickupQuery")]
public sealed record PickupQuery(
    [property: Id(0)] IReadOnlyList<PickupLine> Lines,
    [property: Id(1)] double Latitude,
    [property: Id(2)] double Longitude,
    [property: Id(3)] double RadiusKm,
    [property: Id(4)] int Limit);

[GenerateSerializer, Immutable, Alias("oms.PickupLineOption")]
public sealed record PickupLineOption(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Quantity,
    [property: Id(2)] int Available,
    [property: Id(3)] LineSource Source);

[GenerateSerializer, Immutable, Alias("oms.PickupOption")]
public sealed record PickupOption(
    [property: Id(0)] string LocationId,
    [property: Id(1)] string Name,
    [property: Id(2)] double DistanceKm,
    [property: Id(3)] int Available,
    [property: Id(4)] PickupKind Pickup,
    [property: Id(5)] DateTimeOffset ReadyBy,
    [property: Id(6)] bool Partial,
    [property: Id(7)] IReadOnlyList<PickupLineOption> Lines);

/// <summary>
/// The storefront's network questions, answered on the silo that receives them: a stateless worker keeps the
/// location profiles and a geo index in memory, so a question costs one call to it and one per SKU asked about.
/// </summary>
// Only reads: a call whose silo left is sent again (Faults.IdempotentAttribute).
[Alias("oms.INetworkGrain"), Oms.Contracts.Faults.Idempotent]
public interface INetworkGrain : IGrainWithIntegerKey
{
    [Alias("GetAvailability")]
    Task<SkuAvailability> GetAvailability(string sku, AvailabilityView view);

    [Alias("PickupOptions")]
    Task<IReadOnlyList<PickupOption>> PickupOptions(PickupQuery query);

    /// <summary>Every profile and the network view of each SKU: what the sourcing engine decides on.</summary>
    [Alias("GetSourcingInputs")]
    Task<Oms.Contracts.Orders.SourcingInputs> GetSourcingInputs(IReadOnlyList<string> skus);

    /// <summary>The profile as this silo last loaded it (at most a few seconds old).</summary>
    [Alias("GetProfile")]
    Task<LocationInfo?> GetProfile(string locationId);
}
