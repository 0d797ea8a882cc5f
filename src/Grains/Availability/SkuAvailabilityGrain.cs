using Microsoft.Extensions.Logging;
using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Grains.Persistence;

namespace Oms.Grains.Availability;

public sealed record LocationEntry(LocationType Type, int Available, long Version);

public sealed class SkuAvailabilityState
{
    public Dictionary<string, LocationEntry> Locations { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A derived view: the stock items are the truth and re-send their figure whenever they activate, so this
/// grain persists lazily instead of on every report, keeping it off the hold path's write budget while still
/// surviving a restart.
/// </summary>
public sealed class SkuAvailabilityGrain(
    [PersistentState("skuAvailability", OmsStorage.Name)] IPersistentState<SkuAvailabilityState> state,
    ILogger<SkuAvailabilityGrain> logger) : Grain, ISkuAvailabilityGrain
{
    private DebouncedState<SkuAvailabilityState> _store = null!;
    private SkuAvailability? _view;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _store = new DebouncedState<SkuAvailabilityState>(state, this, TimeSpan.FromSeconds(1), logger);
        return Task.CompletedTask;
    }

    public Task Report(string locationId, LocationType type, int available, long version)
    {
        var locations = _store.State.Locations;
        if (locations.TryGetValue(locationId, out var known) && known.Version > version)
        {
            return Task.CompletedTask;
        }

        var entry = new LocationEntry(type, available, version);
        if (known != entry)
        {
            locations[locationId] = entry;
            _view = null;
            _store.MarkDirty();
        }

        return Task.CompletedTask;
    }

    public Task<SkuAvailability> Get() => Task.FromResult(_view ??= BuildView());

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _store.Flush();

    private SkuAvailability BuildView()
    {
        var locations = _store.State.Locations
            .Select(kv => new LocationAvailability(kv.Key, kv.Value.Type, kv.Value.Available))
            .OrderByDescending(l => l.Available)
            .ThenBy(l => l.LocationId, StringComparer.Ordinal)
            .ToList();
        return new SkuAvailability(this.GetPrimaryKeyString(), locations.Sum(l => l.Available), locations);
    }
}
