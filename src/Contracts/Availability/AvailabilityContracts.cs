using Orleans.Concurrency;
using Oms.Contracts.Locations;

namespace Oms.Contracts.Availability;

[GenerateSerializer, Immutable, Alias("oms.LocationAvailability")]
public sealed record LocationAvailability(
    [property: Id(0)] string LocationId,
    [property: Id(1)] LocationType Type,
    [property: Id(2)] int Available);

[GenerateSerializer, Immutable, Alias("oms.SkuAvailability")]
public sealed record SkuAvailability(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Available,
    [property: Id(2)] IReadOnlyList<LocationAvailability> Locations)
{
    /// <summary>ATP at one location; zero where the SKU is not stocked.</summary>
    public int AvailableAt(string locationId)
    {
        foreach (var location in Locations)
        {
            if (location.LocationId == locationId)
            {
                return location.Available;
            }
        }

        return 0;
    }
}

/// <summary>
/// The network view of one SKU: available to promise at every location, pushed by the stock items,
/// so a storefront asks one grain instead of fanning out over every location.
/// </summary>
[Alias("oms.ISkuAvailabilityGrain")]
public interface ISkuAvailabilityGrain : IGrainWithStringKey
{
    /// <param name="version">The stock item's change counter; an update older than the one held is dropped,
    /// because one-way messages may arrive out of order.</param>
    /// <param name="online">What e-commerce may sell of it (none from a paused location, less the shop floor's share).</param>
    [OneWay, Alias("Report")]
    Task Report(string locationId, LocationType type, int available, long version, int online);

    [ReadOnly, Alias("Get")]
    Task<SkuAvailability> Get();
}
