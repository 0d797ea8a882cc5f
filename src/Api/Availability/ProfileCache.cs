using Oms.Contracts.Locations;

namespace Oms.Api.Availability;

/// <summary>
/// This API node's copy of the location profiles, refreshed at most every couple of seconds, so the storefront's
/// availability read is a single grain call (the SKU's view) with the online rules applied here.
/// </summary>
public sealed class ProfileCache(IGrainFactory grains, TimeProvider clock, IConfiguration configuration)
{
    /// <summary>The same setting as the silos' network grains, so both views of a profile change agree.</summary>
    private readonly TimeSpan _refresh = configuration.GetValue("Oms:ClickAndCollect:ProfileRefresh", TimeSpan.FromSeconds(2));

    private readonly object _gate = new();
    private Task<IReadOnlyDictionary<string, LocationInfo>>? _loading;
    private IReadOnlyDictionary<string, LocationInfo>? _profiles;
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;

    public ValueTask<IReadOnlyDictionary<string, LocationInfo>> GetAsync()
    {
        if (_profiles is { } current && clock.GetUtcNow() - _loadedAt < _refresh)
        {
            return ValueTask.FromResult(current);
        }

        lock (_gate)
        {
            // One load at a time; concurrent readers share it rather than each asking the directory.
            _loading ??= Load();
            return new ValueTask<IReadOnlyDictionary<string, LocationInfo>>(_loading);
        }
    }

    private async Task<IReadOnlyDictionary<string, LocationInfo>> Load()
    {
        try
        {
            var all = await grains.GetGrain<ILocationDirectoryGrain>(ILocationDirectoryGrain.Key).List();
            _profiles = all.ToDictionary(l => l.LocationId, StringComparer.Ordinal);
            _loadedAt = clock.GetUtcNow();
            return _profiles;
        }
        finally
        {
            lock (_gate)
            {
                _loading = null;
            }
        }
    }
}
