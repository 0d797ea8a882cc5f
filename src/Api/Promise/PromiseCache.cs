using System.Collections.Concurrent;
using Oms.Api.Availability;
using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Promise;
using Oms.Grains.Promise;

namespace Oms.Api.Promise;

/// <summary>
/// What this API node needs to promise from memory: the network's calendars (profiles and carriers), the sourcing
/// profiles, and, for listing pages only, the SKU availability views, each kept for a short refresh period.
/// </summary>
/// <remarks>
/// A listing page's promise is advice, as Sterling's cached earliest delivery date is: a view up to
/// <c>Oms:Promise:ListingViewRefresh</c> old is good enough to say "arrives Thursday", and checkout decides on live
/// figures. The basket promise and checkout never read the cached views.
/// </remarks>
public sealed class PromiseCache(IGrainFactory grains, ProfileCache profiles, TimeProvider clock, IConfiguration configuration)
{
    public const int MaxCachedViews = 100_000;

    private readonly TimeSpan _refresh = configuration.GetValue("Oms:ClickAndCollect:ProfileRefresh", TimeSpan.FromSeconds(2));
    private readonly TimeSpan _viewRefresh = configuration.GetValue("Oms:Promise:ListingViewRefresh", TimeSpan.FromSeconds(1));
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<string, (SkuAvailability View, DateTimeOffset At)> _views = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (SourcingProfile Profile, DateTimeOffset At)> _sourcing = new(StringComparer.Ordinal);
    private Task<IReadOnlyList<CarrierInfo>>? _loadingCarriers;
    private (IReadOnlyList<CarrierInfo> Carriers, DateTimeOffset At)? _carriers;
    private (PromiseNetwork Network, IReadOnlyDictionary<string, LocationInfo> Profiles, IReadOnlyList<CarrierInfo> Carriers)? _network;

    /// <summary>The network as of the last refresh; rebuilt only when the profiles or the carriers changed.</summary>
    public async ValueTask<PromiseNetwork> NetworkAsync()
    {
        var located = await profiles.GetAsync();
        var carriers = await CarriersAsync();
        if (_network is { } built && ReferenceEquals(built.Carriers, carriers)
            && (ReferenceEquals(built.Profiles, located) || Same(built.Profiles, located)))
        {
            // The same profiles in a new snapshot: the network and the promises it remembers stand.
            _network = built with { Profiles = located };
            return built.Network;
        }

        var network = new PromiseNetwork(located.Values, carriers);
        _network = (network, located, carriers);
        return network;
    }

    /// <remarks>Records compare their lists by reference, so a profile read again over the network counts as changed;
    /// within a silo-hosting node the directory hands out the very same objects, and nothing is rebuilt.</remarks>
    private static bool Same(IReadOnlyDictionary<string, LocationInfo> a, IReadOnlyDictionary<string, LocationInfo> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && kv.Value.Equals(other));

    /// <summary>After a carrier is changed through this node, its next promise uses the change.</summary>
    public void Invalidate() => _carriers = null;

    public async ValueTask<SourcingProfile> ProfileAsync(string profileId)
    {
        var now = clock.GetUtcNow();
        if (_sourcing.TryGetValue(profileId, out var known) && now - known.At < _refresh)
        {
            return known.Profile;
        }

        var profile = await grains.GetGrain<ISourcingProfileGrain>(profileId).Get();
        _sourcing[profileId] = (profile, now);
        return profile;
    }

    /// <summary>The listing page's views: each SKU's cached view when fresh, the misses asked for together.</summary>
    public async ValueTask<IReadOnlyList<SkuAvailability>> ListingViewsAsync(IReadOnlyList<string> skus)
    {
        var now = clock.GetUtcNow();
        var result = new SkuAvailability[skus.Count];
        List<int>? missing = null;
        for (var i = 0; i < skus.Count; i++)
        {
            if (_views.TryGetValue(skus[i], out var cached) && now - cached.At < _viewRefresh)
            {
                result[i] = cached.View;
            }
            else
            {
                (missing ??= []).Add(i);
            }
        }

        if (missing is null)
        {
            return result;
        }

        var read = await Task.WhenAll(missing.Select(i => grains.GetGrain<ISkuAvailabilityGrain>(skus[i]).Get()));
        if (_views.Count + read.Length > MaxCachedViews)
        {
            // A catalogue walk must not grow the node without bound; the hot set is back within a refresh period.
            _views.Clear();
        }

        for (var m = 0; m < missing.Count; m++)
        {
            result[missing[m]] = read[m];
            _views[skus[missing[m]]] = (read[m], now);
        }

        return result;
    }

    private ValueTask<IReadOnlyList<CarrierInfo>> CarriersAsync()
    {
        if (_carriers is { } current && clock.GetUtcNow() - current.At < _refresh)
        {
            return ValueTask.FromResult(current.Carriers);
        }

        lock (_gate)
        {
            _loadingCarriers ??= LoadCarriers();
            return new ValueTask<IReadOnlyList<CarrierInfo>>(_loadingCarriers);
        }
    }

    private async Task<IReadOnlyList<CarrierInfo>> LoadCarriers()
    {
        try
        {
            var carriers = await grains.GetGrain<ICarrierDirectoryGrain>(ICarrierDirectoryGrain.Key).List();
            // The same list object while nothing changed, so the network is not rebuilt on every refresh.
            if (_carriers is { } previous && previous.Carriers.SequenceEqual(carriers))
            {
                carriers = previous.Carriers;
            }

            _carriers = (carriers, clock.GetUtcNow());
            return carriers;
        }
        finally
        {
            lock (_gate)
            {
                _loadingCarriers = null;
            }
        }
    }
}
