using Oms.Contracts.Availability;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Contracts.Promise;

namespace Oms.Grains.Promise;

/// <summary>
/// A checkout's promises: each shipment's delivery window by the service the customer chose, or else the source's
/// fastest. Sources that cannot ship there by it are left out of the plan, so an order is never placed on a
/// shipment nothing can carry.
/// </summary>
public sealed class ShipmentPromiser
{
    private readonly PromiseNetwork _network;
    private readonly PromiseDestination _destination;
    private readonly DateTimeOffset _now;
    private readonly string? _carrierId;
    private readonly string? _serviceId;
    private readonly Func<string, DateOnly, bool>? _full;
    private readonly Dictionary<string, ShipPromise?> _bySource = new(StringComparer.Ordinal);

    /// <param name="carrierId">Only this carrier's services; null for any.</param>
    /// <param name="full">Whether a boutique has no ship-from-store room left on a day.</param>
    public ShipmentPromiser(
        PromiseNetwork network, PromiseDestination destination, DateTimeOffset now, string? carrierId = null, string? serviceId = null,
        Func<string, DateOnly, bool>? full = null) =>
        (_network, _destination, _now, _carrierId, _serviceId, _full) = (network, destination, now, carrierId, serviceId, full);

    /// <returns>null for a pickup, an address without a country, or a network with no carrier: nothing is promised.</returns>
    public static ShipmentPromiser? For(PlaceOrder request, PromiseNetwork network, DateTimeOffset now) =>
        request.Delivery is { Method: DeliveryMethod.ShipToHome, Address: { } address } delivery && network.Promises
            ? new(network, network.Destination(address.CountryCode, address.Latitude, address.Longitude), now, delivery.CarrierId, delivery.ServiceId)
            : null;

    public ShipPromise? Fastest(string locationId)
    {
        if (!_bySource.TryGetValue(locationId, out var promise))
        {
            promise = _network.Source(locationId) is { } source
                ? DeliveryPromiser.Fastest(source, _destination, _now, _full, _carrierId, _serviceId)
                : null;
            _bySource[locationId] = promise;
        }

        return promise;
    }

    /// <summary><paramref name="excluded"/>, plus every location holding stock that no service (or not the chosen one) ships from to the destination.</summary>
    public IReadOnlyDictionary<string, string> Excluding(IEnumerable<SkuAvailability> views, IReadOnlyDictionary<string, string> excluded)
    {
        var all = new Dictionary<string, string>(excluded, StringComparer.Ordinal);
        var service = _carrierId is null ? "no carrier service" : $"{_carrierId} {_serviceId ?? "(any service)"}";
        foreach (var locationId in views.SelectMany(v => v.Locations).Where(l => l.Available > 0).Select(l => l.LocationId).Distinct())
        {
            if (!all.ContainsKey(locationId) && _network.LocationsById.ContainsKey(locationId) && Fastest(locationId) is null)
            {
                all[locationId] = $"{service} delivers from here to {_destination.CountryCode} within {DeliveryPromiser.HorizonDays} days";
            }
        }

        return all;
    }

    public IReadOnlyDictionary<string, PromisedDelivery> Promises(IEnumerable<Fulfilment> fulfilments) =>
        ShipPromises(fulfilments).ToDictionary(p => p.FulfilmentId, p => p.Promise.ToPromised(_now, _destination), StringComparer.Ordinal);

    public IEnumerable<(string FulfilmentId, ShipPromise Promise)> ShipPromises(IEnumerable<Fulfilment> fulfilments) =>
        fulfilments.Where(f => f.Mode == FulfilmentMode.Ship)
            .Select(f => (f.FulfilmentId, Promise: Fastest(f.LocationId)))
            .Where(p => p.Promise is not null)
            .Select(p => (p.FulfilmentId, p.Promise!));
}
