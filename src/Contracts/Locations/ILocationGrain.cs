using Orleans.Concurrency;

namespace Oms.Contracts.Locations;

/// <summary>One per location (warehouse or boutique), keyed by location id.</summary>
[Alias("oms.ILocationGrain")]
public interface ILocationGrain : IGrainWithStringKey
{
    /// <returns>true when the location was created, false when an existing one was updated.</returns>
    [Alias("Upsert")]
    Task<bool> Upsert(LocationInfo location);

    /// <remarks>Read-only so the thousands of stock items that ask at activation do not queue behind each other.</remarks>
    [ReadOnly, Alias("Get")]
    Task<LocationInfo?> Get();

    /// <summary>Pushed by the location's stock items after each change, so the shop's own lookups are one call.</summary>
    [OneWay, Alias("ReportStock")]
    Task ReportStock(string sku, int onHand, int available, long version);

    /// <summary>Takes one of today's ship-from-store slots for an order; idempotent per order.</summary>
    /// <returns>false when today's capacity is used up.</returns>
    [Alias("TryAssignShipment"), Oms.Contracts.Faults.Idempotent]
    Task<bool> TryAssignShipment(string orderId);

    [Alias("ReleaseShipment")]
    Task ReleaseShipment(string orderId);

    /// <summary>Today's ship-from-store assignments, in the location's own calendar, and its capacity.</summary>
    [ReadOnly, Alias("GetShipLoad")]
    Task<ShipLoad> GetShipLoad();

    /// <summary>The listed SKUs this location's index has heard of, or a page of everything indexed after <paramref name="cursor"/>.</summary>
    [ReadOnly, Alias("GetStock")]
    Task<LocationStockPage> GetStock(IReadOnlyList<string>? skus, string? cursor, int limit);
}

[GenerateSerializer, Immutable, Alias("oms.ShipLoad")]
public sealed record ShipLoad([property: Id(0)] DateOnly Day, [property: Id(1)] int Assigned, [property: Id(2)] int? Capacity);

[GenerateSerializer, Immutable, Alias("oms.LocationStockEntry")]
public sealed record LocationStockEntry(
    [property: Id(0)] string Sku,
    [property: Id(1)] int OnHand,
    [property: Id(2)] int Available);

[GenerateSerializer, Immutable, Alias("oms.LocationStockPage")]
public sealed record LocationStockPage(
    [property: Id(0)] LocationInfo? Location,
    [property: Id(1)] IReadOnlyList<LocationStockEntry> Items,
    [property: Id(2)] string? Next);

/// <summary>
/// The registry of every location, so listing them is one call rather than a scan of storage.
/// There is a single instance, keyed <see cref="Key"/>; it is small (hundreds of rows) and read rarely.
/// </summary>
[Alias("oms.ILocationDirectoryGrain")]
public interface ILocationDirectoryGrain : IGrainWithStringKey
{
    const string Key = "all";

    [Alias("Register"), Oms.Contracts.Faults.Idempotent]
    Task Register(LocationInfo location);

    [Alias("List"), Oms.Contracts.Faults.Idempotent]
    Task<IReadOnlyList<LocationInfo>> List();
}
