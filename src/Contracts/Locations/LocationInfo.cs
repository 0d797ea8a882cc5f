using Oms.Contracts.Promise;

namespace Oms.Contracts.Locations;

[GenerateSerializer, Alias("oms.LocationType")]
public enum LocationType
{
    Warehouse = 0,
    Boutique = 1,
}

[GenerateSerializer, Alias("oms.LocationCapability")]
public enum LocationCapability
{
    /// <summary>Ships orders to customers (for a boutique: ship-from-store).</summary>
    ShipToCustomer = 0,
    ClickAndCollect = 1,
    AcceptsReturns = 2,
    ReceivesTransfers = 3,
}

[GenerateSerializer, Alias("oms.LocationStatus")]
public enum LocationStatus
{
    Active = 0,
    /// <summary>Temporarily out of e-commerce (stock count, refit); the shop's own view is unaffected.</summary>
    Paused = 1,
}

[GenerateSerializer, Immutable, Alias("oms.Address")]
public sealed record Address(
    [property: Id(0)] string Line1,
    [property: Id(1)] string? Line2,
    [property: Id(2)] string City,
    [property: Id(3)] string? PostalCode,
    [property: Id(4)] string? Region);

/// <summary>Opening time to closing time in minutes after local midnight; a close of 1440 is midnight.</summary>
[GenerateSerializer, Immutable, Alias("oms.TimeRange")]
public sealed record TimeRange([property: Id(0)] int OpenMinute, [property: Id(1)] int CloseMinute);

[GenerateSerializer, Immutable, Alias("oms.DayHours")]
public sealed record DayHours([property: Id(0)] DayOfWeek Day, [property: Id(1)] IReadOnlyList<TimeRange> Ranges);

/// <summary>A date with other hours than usual: closed, or open only at <see cref="Hours"/>.</summary>
[GenerateSerializer, Immutable, Alias("oms.OpeningException")]
public sealed record OpeningException(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] bool Closed,
    [property: Id(2)] IReadOnlyList<TimeRange>? Hours);

/// <summary>Units of each SKU a shop keeps back from e-commerce so walk-in customers can still buy them.</summary>
[GenerateSerializer, Immutable, Alias("oms.OnlineSafetyStock")]
public sealed record OnlineSafetyStock(
    [property: Id(0)] int Default,
    [property: Id(1)] IReadOnlyDictionary<string, int> Skus)
{
    public int For(string sku) => Skus.TryGetValue(sku, out var units) ? units : Default;
}

/// <summary>A warehouse or boutique and how it takes part in fulfilment.</summary>
/// <remarks>Fields after <see cref="TimeZone"/> were added with the boutique profile; they all have defaults so
/// a profile stored before them reads as an always-open, active location with its type's usual capabilities.</remarks>
[GenerateSerializer, Immutable, Alias("oms.LocationInfo")]
public sealed record LocationInfo(
    [property: Id(0)] string LocationId,
    [property: Id(1)] string Name,
    [property: Id(2)] LocationType Type,
    [property: Id(3)] double Latitude,
    [property: Id(4)] double Longitude,
    [property: Id(5)] string? CountryCode,
    [property: Id(6)] string? TimeZone,
    [property: Id(7)] Address? Address = null,
    [property: Id(8)] IReadOnlyList<LocationCapability>? Capabilities = null,
    [property: Id(9)] LocationStatus Status = LocationStatus.Active,
    [property: Id(10)] int Priority = 0,
    [property: Id(11)] int? DailyShipCapacity = null,
    [property: Id(12)] int PickupPreparationMinutes = 0,
    [property: Id(13)] IReadOnlyList<DayHours>? OpeningHours = null,
    [property: Id(14)] IReadOnlyList<OpeningException>? OpeningExceptions = null,
    [property: Id(15)] OnlineSafetyStock? OnlineSafetyStock = null,
    [property: Id(16)] int LowStockThreshold = 0,
    [property: Id(17)] int? AcceptWithinMinutes = null,
    [property: Id(18)] int? HoldForPickupDays = null,
    [property: Id(19)] int? OrderCutoffMinute = null,
    [property: Id(20)] int? ProcessingDays = null,
    [property: Id(21)] IReadOnlyList<CarrierServiceRef>? CarrierServices = null)
{
    /// <summary>Working days between the order day and the day the parcel is handed to the carrier: a warehouse
    /// ships the day it picks, a boutique packs between customers and ships the day after.</summary>
    public int EffectiveProcessingDays => ProcessingDays ?? (Type == LocationType.Boutique ? 1 : 0);

    /// <summary>How long the location has to accept a fulfilment request before it is re-sourced: a warehouse
    /// works in shifts around the clock, a boutique between customers.</summary>
    public int EffectiveAcceptWithinMinutes => AcceptWithinMinutes ?? (Type == LocationType.Boutique ? 120 : 30);

    /// <summary>How long a parcel waits for its customer at the pickup counter.</summary>
    public int EffectiveHoldForPickupDays => HoldForPickupDays ?? 7;

    /// <summary>Boutiques do everything unless told otherwise; warehouses only ship.</summary>
    public IReadOnlyList<LocationCapability> EffectiveCapabilities => Capabilities ?? (Type == LocationType.Boutique
        ? [LocationCapability.ShipToCustomer, LocationCapability.ClickAndCollect, LocationCapability.AcceptsReturns, LocationCapability.ReceivesTransfers]
        : [LocationCapability.ShipToCustomer]);

    public bool Can(LocationCapability capability) => EffectiveCapabilities.Contains(capability);

    public bool IsActive => Status == LocationStatus.Active;

    /// <summary>What e-commerce may take of <paramref name="storeAvailable"/>: nothing from a paused location or
    /// one without <paramref name="needed"/>, and never the units kept back for the shop floor.</summary>
    public int OnlineAvailable(string sku, int storeAvailable, LocationCapability needed) =>
        !IsActive || !Can(needed) ? 0 : Math.Max(0, storeAvailable - (OnlineSafetyStock?.For(sku) ?? 0));
}
