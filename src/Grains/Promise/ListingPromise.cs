using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Grains.Sourcing;

namespace Oms.Grains.Promise;

/// <summary>
/// The promise of a listing page: for each SKU, the source a one-unit ship-to-home order would come from and that
/// source's fastest service. One instance per request; a page of 50 products from a handful of sources computes each
/// source's promise once, and the network remembers it for the next page until its cut-off.
/// </summary>
public sealed class ListingPromise(PromiseNetwork network, SourcingProfile profile, PromiseDestination destination, DateTimeOffset now)
{
    private readonly Dictionary<string, ShipPromise?> _bySource = new(StringComparer.Ordinal);
    private SourcingEngine.ShipRanking? _ranking;

    /// <returns>The promise, or null when no source can ship the SKU there.</returns>
    public ShipPromise? For(string sku, SkuAvailability view)
    {
        _ranking ??= new SourcingEngine.ShipRanking(profile, network.LocationsById, destination.Latitude, destination.Longitude,
            l => Fastest(l)?.EarliestDelivery, l => Fastest(l) is null);
        return _ranking.Choose(sku, view) is { } source ? Fastest(source) : null;
    }

    private ShipPromise? Fastest(LocationInfo location)
    {
        if (!_bySource.TryGetValue(location.LocationId, out var promise))
        {
            promise = network.Fastest(location.LocationId, destination, now);
            _bySource[location.LocationId] = promise;
        }

        return promise;
    }
}
