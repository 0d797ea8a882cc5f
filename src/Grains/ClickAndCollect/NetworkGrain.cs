using Microsoft.Extensions.Options;
using Oms.Contracts.Availability;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Promise;
using Oms.Grains.Availability;
using Orleans.Concurrency;

namespace Oms.Grains.ClickAndCollect;

public sealed class ClickAndCollectOptions
{
    /// <summary>How long a warehouse takes to get stock to a boutique for a ship-to-store pickup.</summary>
    public TimeSpan TransferTransit { get; set; } = TimeSpan.FromHours(48);

    /// <summary>How stale this silo's copy of the location profiles may get; profiles change rarely.</summary>
    public TimeSpan ProfileRefresh { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// One activation per silo (and per busy core), holding every location profile and a geo index of the
/// click-and-collect boutiques in memory. A near-me search is then the index, plus one call to the SKU's
/// network view: never a fan-out over hundreds of boutique grains.
/// </summary>
[StatelessWorker]
public sealed class NetworkGrain(TimeProvider clock, IOptions<ClickAndCollectOptions> options) : Grain, INetworkGrain
{
    private Dictionary<string, LocationInfo> _profiles = [];
    private GeoIndex<LocationInfo> _pickupPoints = new([]);
    private List<LocationInfo> _warehouses = [];
    private IReadOnlyList<CarrierInfo> _carriers = [];
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;

    public async Task<SkuAvailability> GetAvailability(string sku, AvailabilityView view)
    {
        var raw = GrainFactory.GetGrain<ISkuAvailabilityGrain>(sku).Get();
        await Refresh();
        return AvailabilityViews.Apply(await raw, view, _profiles);
    }

    public async Task<IReadOnlyList<PickupOption>> PickupOptions(PickupQuery query)
    {
        var views = query.Lines.Select(l => l.Sku).Distinct(StringComparer.Ordinal)
            .ToDictionary(sku => sku, sku => GrainFactory.GetGrain<ISkuAvailabilityGrain>(sku).Get(), StringComparer.Ordinal);
        await Refresh();
        await Task.WhenAll(views.Values);

        var nearby = _pickupPoints.Within(query.Latitude, query.Longitude, query.RadiusKm)
            .Select(n => (n.Item, n.DistanceKm)).ToList();
        var planner = new PickupPlanner(options.Value.TransferTransit);
        return planner.Plan(nearby, query.Lines, views.ToDictionary(v => v.Key, v => v.Value.Result), _warehouses, clock.GetUtcNow(), query.Limit);
    }

    public async Task<SourcingInputs> GetSourcingInputs(IReadOnlyList<string> skus)
    {
        var views = skus.Distinct(StringComparer.Ordinal).Select(sku => GrainFactory.GetGrain<ISkuAvailabilityGrain>(sku).Get()).ToList();
        await Refresh();
        return new SourcingInputs([.. _profiles.Values], await Task.WhenAll(views), _carriers);
    }

    public async Task<LocationInfo?> GetProfile(string locationId)
    {
        await Refresh();
        return _profiles.GetValueOrDefault(locationId);
    }

    private async Task Refresh()
    {
        var now = clock.GetUtcNow();
        if (now - _loadedAt < options.Value.ProfileRefresh)
        {
            return;
        }

        var carriers = GrainFactory.GetGrain<ICarrierDirectoryGrain>(ICarrierDirectoryGrain.Key).List();
        var all = await GrainFactory.GetGrain<ILocationDirectoryGrain>(ILocationDirectoryGrain.Key).List();
        _carriers = await carriers;
        _profiles = all.ToDictionary(l => l.LocationId, StringComparer.Ordinal);
        _pickupPoints = new GeoIndex<LocationInfo>(all
            .Where(l => l.IsActive && l.Can(LocationCapability.ClickAndCollect))
            .Select(l => (l.Latitude, l.Longitude, l)));
        _warehouses = [.. all.Where(l => l.IsActive && l.Type == LocationType.Warehouse)];
        _loadedAt = now;
    }
}
