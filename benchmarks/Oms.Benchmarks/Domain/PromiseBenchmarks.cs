using BenchmarkDotNet.Attributes;
using Oms.Api.Demo;
using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Grains.Promise;
using Oms.Grains.Sourcing;

namespace Oms.Benchmarks.Domain;

/// <summary>
/// The listing page's promise without Orleans or HTTP (issue #16: under 20 µs per SKU): for each of 50 SKUs, the
/// source a one-unit ship-to-home order would come from and its fastest service, over the demo network and carriers.
/// The choice of source alone, with no promise, is the floor. Figures are per SKU.
/// </summary>
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class PromiseBenchmarks
{
    private const int Skus = 50;

    /// <summary>A Monday morning in Paris: every warehouse and boutique has a cut-off ahead.</summary>
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 10, 0, 0, TimeSpan.FromHours(1));

    private PromiseNetwork _network = null!;
    private PromiseDestination _destination = null!;
    private SourcingProfile _profile = null!;
    private SourcingProfile _byDate = null!;
    private (string Sku, SkuAvailability View)[] _page = null!;
    private SourcingLine[] _basket = null!;
    private Dictionary<string, SkuAvailability> _views = null!;

    [GlobalSetup]
    public void Setup()
    {
        _network = new PromiseNetwork(DemoNetwork.Locations, DemoNetwork.Carriers);
        _destination = _network.Destination("FR", 48.87, 2.31);
        _profile = SourcingProfile.Default("web-shipToHome");
        _byDate = _profile with { Criteria = [SourcingCriterion.DeliveryDate, .. _profile.Criteria] };
        var types = DemoNetwork.Locations.ToDictionary(l => l.LocationId, l => l.Type);
        _views = DemoNetwork.Stock().Where(s => s.OnHand > s.SafetyStock).GroupBy(s => s.Sku)
            .Select(g => new SkuAvailability(g.Key, g.Sum(s => s.OnHand - s.SafetyStock),
                [.. g.Select(s => new LocationAvailability(s.LocationId, types[s.LocationId], s.OnHand - s.SafetyStock))]))
            .ToDictionary(v => v.Sku);
        _page = [.. _views.Values.Take(Skus).Select(v => (v.Sku, v))];
        _basket = [.. _page.Take(3).Select((p, i) => new SourcingLine($"L{i + 1}", p.Sku, 1))];
        // Calendars are built on first use and then shared by every request: warm them as a running node has.
        _ = ListingPage();
    }

    /// <summary>The floor: each SKU's source chosen as the listing chooses it, with no carrier or calendar asked.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Skus)]
    public int ChooseSourceOnly()
    {
        var ranking = new SourcingEngine.ShipRanking(_profile, _network.LocationsById, _destination.Latitude, _destination.Longitude);
        var found = 0;
        foreach (var (sku, view) in _page)
        {
            found += ranking.Choose(sku, view) is null ? 0 : 1;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Skus)]
    public int ListingPage() => Page(_profile);

    /// <summary>With the deliveryDate criterion first, every candidate source's promise is computed to rank them.</summary>
    [Benchmark(OperationsPerInvoke = Skus)]
    public int ListingPageByDeliveryDate() => Page(_byDate);

    /// <summary>After a profile or carrier change: a new network, whose calendars are built again as they are asked for.</summary>
    [Benchmark(OperationsPerInvoke = Skus)]
    public int ListingPageOnAFreshNetwork()
    {
        var network = new PromiseNetwork(DemoNetwork.Locations, DemoNetwork.Carriers);
        var listing = new ListingPromise(network, _profile, _destination, Now);
        var found = 0;
        foreach (var (sku, view) in _page)
        {
            found += listing.For(sku, view) is null ? 0 : 1;
        }

        return found;
    }

    /// <summary>The checkout page's question for a three-line basket: one plan per carrier service. Per basket.</summary>
    [Benchmark]
    public int BasketOfThree() => BasketPromise.Ship(_network, _profile, _basket, _views, _destination, Now).Options.Count;

    private int Page(SourcingProfile profile)
    {
        var listing = new ListingPromise(_network, profile, _destination, Now);
        var found = 0;
        foreach (var (sku, view) in _page)
        {
            found += listing.For(sku, view) is null ? 0 : 1;
        }

        return found;
    }
}
