using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Grains.Diagnostics;
using Oms.Tests.Fulfilment;
using Oms.Tests.Infrastructure;
using Oms.Tests.Webhooks;
using Orleans.TestingHost;

namespace Oms.Tests.Hosting;

/// <summary>
/// The business meters of issue #17 beyond checkouts and holds, each moved by the real thing it counts on a real
/// cluster: sourcing decisions, lapsed fulfilment deadlines, webhook attempts and the event feed's lag. The
/// fulfilment clock runs fast (a profile minute is a second) so a missed deadline can be watched, and webhook
/// retries follow a schedule of seconds.
/// </summary>
public sealed class BusinessMeterTests : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);
    private static readonly (double Lat, double Lon) Here = FulfilmentDeadlineTests.Customer;

    private InProcessTestCluster _cluster = null!;
    private WebApplicationFactory<Program> _api = null!;

    public async Task InitializeAsync()
    {
        _cluster = await WebhookClusters.StartAsync(extra: new Dictionary<string, string?>(FulfilmentFixture.FastDeadlines));
        _api = WebhookClusters.Api(_cluster);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private IGrainFactory Grains => _cluster.Client;

    /// <summary>What one instrument of this cluster's silos recorded (other clusters in the process share the meter's name).</summary>
    private Measurements Listen(string instrument) =>
        new(_cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<OmsMeters>().Meter), instrument);

    [Fact]
    public async Task Each_checkout_counts_one_sourcing_decision_by_outcome_and_source_and_a_replay_counts_none()
    {
        using var decisions = Listen("oms.sourcing.decisions");
        var (north, south) = (Network.Unique("WH-N"), Network.Unique("WH-S"));
        var (bag, scarf, missing) = (Network.Unique("BAG"), Network.Unique("SCARF"), Network.Unique("NONE"));
        await FulfilmentDeadlineTests.Location(_cluster, north, LocationType.Warehouse, Here.Lat, Here.Lon);
        await FulfilmentDeadlineTests.Location(_cluster, south, LocationType.Warehouse, Here.Lat + 0.5, Here.Lon);
        await Network.Stock(Grains, north, bag, 5);
        await Network.Stock(Grains, south, scarf, 5);
        await FulfilmentDeadlineTests.WaitOnline(_cluster, bag, 5);
        await FulfilmentDeadlineTests.WaitOnline(_cluster, scarf, 5);

        var single = Network.Unique("ORD");
        var request = FulfilmentDeadlineTests.ShipOrder(single, bag);
        Assert.Equal(PlaceOrderOutcome.Created, (await Grains.GetGrain<IOrderGrain>(single).Place(request)).Outcome);
        Assert.Equal(1, decisions.Count(("outcome", "single"), ("source", "warehouse"), ("method", "shipToHome"), ("trigger", "checkout")));

        // The same request again is the same order: nothing was decided anew.
        Assert.Equal(PlaceOrderOutcome.Replayed, (await Grains.GetGrain<IOrderGrain>(single).Place(request)).Outcome);
        Assert.Equal(1, decisions.Count());

        var split = Network.Unique("ORD");
        var both = FulfilmentDeadlineTests.ShipOrder(split, bag) with
        {
            Lines = [new OrderLine("1", bag, 1, 100m, "EUR"), new OrderLine("2", scarf, 1, 50m, "EUR")],
        };
        var placed = await Grains.GetGrain<IOrderGrain>(split).Place(both);
        Assert.Equal((PlaceOrderOutcome.Created, 2), (placed.Outcome, placed.Order!.Fulfilments.Count));
        Assert.Equal(1, decisions.Count(("outcome", "split"), ("source", "warehouse")));

        var nothing = Network.Unique("ORD");
        var none = FulfilmentDeadlineTests.ShipOrder(nothing, missing);
        Assert.Equal(PlaceOrderOutcome.Short, (await Grains.GetGrain<IOrderGrain>(nothing).Place(none)).Outcome);
        Assert.Equal(1, decisions.Count(("outcome", "short"), ("source", "none"), ("trigger", "checkout")));

        // A short checkout retried answers from its refusal.
        Assert.Equal(PlaceOrderOutcome.Short, (await Grains.GetGrain<IOrderGrain>(nothing).Place(none)).Outcome);
        Assert.Equal(3, decisions.Count());
    }

    /// <summary>Every measurement of one instrument of the given meters, with its tags.</summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(double Value, KeyValuePair<string, object?>[] Tags)> _seen = new();

        public Measurements(IEnumerable<Meter> meters, string instrument)
        {
            var ours = meters.ToHashSet();
            _listener.InstrumentPublished = (published, listener) =>
            {
                if (ours.Contains(published.Meter) && published.Name == instrument)
                {
                    listener.EnableMeasurementEvents(published);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => _seen.Enqueue((value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => _seen.Enqueue((value, tags.ToArray())));
            _listener.Start();
        }

        /// <summary>The sum of the counter's measurements carrying every one of these tags.</summary>
        public long Count(params (string Key, string Value)[] tags) =>
            (long)_seen.Where(m => tags.All(t => m.Tags.Any(k => k.Key == t.Key && Equals(k.Value, t.Value)))).Sum(m => m.Value);

        public List<double> Values(Func<double, bool> which) => [.. _seen.Select(m => m.Value).Where(which)];

        public void Dispose() => _listener.Dispose();
    }
}
