namespace Oms.Contracts.Locations;

[GenerateSerializer, Alias("oms.LocationType")]
public enum LocationType
{
    Warehouse = 0,
    Boutique = 1,
}

[GenerateSerializer, Immutable, Alias("oms.LocationInfo")]
public sealed record LocationInfo(
    [property: Id(0)] string LocationId,
    [property: Id(1)] string Name,
    [property: Id(2)] LocationType Type,
    [property: Id(3)] double Latitude,
    [property: Id(4)] double Longitude,
    [property: Id(5)] string? CountryCode,
    [property: Id(6)] string? TimeZone);
