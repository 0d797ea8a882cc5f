using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Grains.Sourcing;

namespace Oms.Grains.Promise;

/// <summary>
/// The promise of a listing page: for each SKU, the source a one-unit ship-to-home order would come from and that
/// source's fastest service. One instance per request; a page of 50 products from a handful of sources computes each
/// source's promise once.
/// </summary>
public sealed class ListingPromise(PromiseNetwork network, SourcingProfile profile, PromiseDestination destination, DateTimeOffset now)
{
    private readonly Dictionary<string, ShipPromise?> _bySource = new(StringComparer.Ordinal);

    /// <returns>The promise, or null when no source can ship the SKU there.</returns>
    public ShipPromise? For(string sku, SkuAvailability view)
    {
        var source = SourcingEngine.ChooseShipSource(
            sku, view, profile, network.LocationsById, destination.Latitude, destination.Longitude,
            l => Fastest(l)?.EarliestDelivery, l => Fastest(l) is null);
        return source is null ? null : Fastest(source);
    }

    private ShipPromise? Fastest(LocationInfo location)
    {
        if (!_bySource.TryGetValue(location.LocationId, out var promise))
        {
            promise = network.Source(location.LocationId) is { } source ? DeliveryPromiser.Fastest(source, destination, now) : null;
            _bySource[location.LocationId] = promise;
        }

        return promise;
    }
}
