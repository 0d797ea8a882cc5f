using Microsoft.Extensions.Logging;
using Orleans.Storage;
using Oms.Contracts.Availability;
using Oms.Contracts.Locations;

namespace Oms.Grains.Availability;

public sealed record LocationEntry(LocationType Type, int Available, long Version);

public sealed class SkuAvailabilityState
{
    public Dictionary<string, LocationEntry> Locations { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A derived view: the stock items are the truth and re-send their figure whenever they activate, so this
/// grain persists lazily (at most once a second) instead of on every report, keeping it off the hold path's
/// critical write budget while still surviving a restart.
/// </summary>
public sealed class SkuAvailabilityGrain(
    [PersistentState("skuAvailability", OmsStorage.Name)] IPersistentState<SkuAvailabilityState> state,
    ILogger<SkuAvailabilityGrain> logger) : Grain, ISkuAvailabilityGrain
{
    private static readonly TimeSpan FlushDelay = TimeSpan.FromSeconds(1);

    private SkuAvailability? _view;
    private bool _dirty;
    private IGrainTimer? _flushTimer;

    public Task Report(string locationId, LocationType type, int available, long version)
    {
        if (state.State.Locations.TryGetValue(locationId, out var known) && known.Version > version)
        {
            return Task.CompletedTask;
        }

        var entry = new LocationEntry(type, available, version);
        if (known == entry)
        {
            return Task.CompletedTask;
        }

        state.State.Locations[locationId] = entry;
        _view = null;
        if (!_dirty)
        {
            _dirty = true;
            _flushTimer ??= this.RegisterGrainTimer(_ => Flush(), new GrainTimerCreationOptions(FlushDelay, Timeout.InfiniteTimeSpan));
            _flushTimer.Change(FlushDelay, Timeout.InfiniteTimeSpan);
        }

        return Task.CompletedTask;
    }

    public Task<SkuAvailability> Get() => Task.FromResult(_view ??= BuildView());

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Flush();

    private SkuAvailability BuildView()
    {
        var locations = state.State.Locations
            .Select(kv => new LocationAvailability(kv.Key, kv.Value.Type, kv.Value.Available))
            .OrderByDescending(l => l.Available)
            .ThenBy(l => l.LocationId, StringComparer.Ordinal)
            .ToList();
        return new SkuAvailability(this.GetPrimaryKeyString(), locations.Sum(l => l.Available), locations);
    }

    private async Task Flush()
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException ex)
        {
            // Another activation wrote since we loaded: ours is the duplicate, so step aside and let the
            // survivor's state win; the stock items re-report when they next change.
            logger.LogWarning(ex, "Availability of {Sku} was written elsewhere; deactivating", this.GetPrimaryKeyString());
            DeactivateOnIdle();
        }
        catch (Exception ex)
        {
            // The memory view stays right; only durability lags, so try again rather than drop the reports.
            logger.LogWarning(ex, "Could not persist availability of {Sku}; retrying", this.GetPrimaryKeyString());
            _dirty = true;
            _flushTimer?.Change(FlushDelay, Timeout.InfiniteTimeSpan);
        }
    }
}
