using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Oms.Contracts.Events;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Grains.Diagnostics;
using Oms.Grains.Events;
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

    [Fact]
    public async Task A_request_not_accepted_in_time_counts_one_accept_breach_and_its_re_sourcing_decision()
    {
        using var breaches = Listen("oms.fulfilment.sla_breaches");
        using var decisions = Listen("oms.sourcing.decisions");
        var (slow, spare) = (Network.Unique("WH-SLOW"), Network.Unique("WH-SPARE"));
        var sku = Network.Unique("SKU");
        // Three profile minutes of a second each; the spare warehouse answers in hours.
        await FulfilmentDeadlineTests.Location(_cluster, slow, LocationType.Warehouse, Here.Lat, Here.Lon, acceptWithin: 3);
        await FulfilmentDeadlineTests.Location(_cluster, spare, LocationType.Warehouse, Here.Lat + 1, Here.Lon + 1);
        await Network.Stock(Grains, slow, sku, 1);
        await Network.Stock(Grains, spare, sku, 1);
        await FulfilmentDeadlineTests.WaitOnline(_cluster, sku, 2);

        var orderId = Network.Unique("ORD");
        var placed = await Grains.GetGrain<IOrderGrain>(orderId).Place(FulfilmentDeadlineTests.ShipOrder(orderId, sku));
        Assert.Equal((PlaceOrderOutcome.Created, slow), (placed.Outcome, placed.Order!.Fulfilments.Single().LocationId));
        Assert.Equal(0, breaches.Count());

        await Eventually.Until(() => Grains.GetGrain<IOrderGrain>(orderId).Get(),
            o => o!.Fulfilments.Any(f => f.LocationId == spare && f.Status == FulfilmentStatus.Requested), Within, "the timed-out request is re-sourced");
        // The watch reminder wakes the grain every two seconds: let it, and the lapse must still count once.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(1, breaches.Count());
        Assert.Equal(1, breaches.Count(("deadline", "accept"), ("mode", "ship")));
        Assert.Equal(1, decisions.Count(("outcome", "single"), ("source", "warehouse"), ("trigger", "resource")));
    }

    [Fact]
    public async Task A_parcel_not_collected_in_time_counts_one_collect_breach()
    {
        using var breaches = Listen("oms.fulfilment.sla_breaches");
        using var decisions = Listen("oms.sourcing.decisions");
        var boutique = Network.Unique("BTQ");
        var bag = Network.Unique("BAG");
        // One profile day of two seconds.
        await FulfilmentDeadlineTests.Location(_cluster, boutique, LocationType.Boutique, Here.Lat, Here.Lon, holdForPickup: 1);
        await Network.Stock(Grains, boutique, bag, 1);
        await FulfilmentDeadlineTests.WaitOnline(_cluster, bag, 1);

        var orderId = Network.Unique("ORD");
        var placed = await Grains.GetGrain<IOrderGrain>(orderId).Place(new PlaceOrder(
            OrderChannel.Web, new Customer("C-" + orderId, null, "Ada Lovelace"), [new OrderLine("1", bag, 1, 100m, "EUR")],
            new Delivery(DeliveryMethod.ClickAndCollect, null, boutique), null));
        Assert.Equal(PlaceOrderOutcome.Created, placed.Outcome);
        Assert.Equal(1, decisions.Count(("outcome", "single"), ("source", "boutique"), ("method", "clickAndCollect")));
        var ready = await Grains.GetGrain<IFulfilmentGrain>(orderId).Report(placed.Order!.Fulfilments.Single().FulfilmentId,
            new FulfilmentReport("store-ready", FulfilmentReportType.ReadyForPickup), null);
        Assert.Equal(FulfilmentReportOutcome.Applied, ready.Outcome);

        await Eventually.Until(() => Grains.GetGrain<IOrderGrain>(orderId).Get(),
            o => o!.Fulfilments.Single().Status == FulfilmentStatus.Expired, Within, "the uncollected parcel expires");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(1, breaches.Count());
        Assert.Equal(1, breaches.Count(("deadline", "collect"), ("mode", "pickup")));
    }

    [Fact]
    public async Task Each_webhook_attempt_counts_by_outcome_and_status_class_until_it_is_delivered_or_dead_lettered()
    {
        using var attempts = Listen("oms.webhooks.deliveries");
        var (flaky, dead) = (Subjects.Order(Network.Unique("ORD")), Subjects.Order(Network.Unique("ORD")));
        var seen = new ConcurrentDictionary<string, int>();
        await using var receiver = await Receiver.StartAsync();
        // Busy once for the first subject, broken for good for the second, fine for anything else.
        receiver.Answer = r =>
        {
            var subject = (string)r.Event["subject"]!;
            var times = seen.AddOrUpdate(subject, 1, (_, n) => n + 1);
            return (subject == dead ? 500 : subject == flaky && times == 1 ? 503 : 204, null);
        };
        using var http = _api.CreateAdminClient();
        var (id, _) = await WebhookApi.Subscribe(http, receiver.Url(), "order.placed");
        await WebhookApi.Emit(_cluster.Feed(), (EventTypes.OrderPlaced, flaky, 1), (EventTypes.OrderPlaced, dead, 1));

        await Eventually.Until(() => WebhookApi.Deliveries(http, id, "deadLettered"), d => d.Count == 1, Within, "the broken receiver's delivery dead-lettered");
        await Eventually.Until(() => WebhookApi.Deliveries(http, id, "delivered"), d => d.Count >= 1, Within, "the busy receiver's delivery delivered");
        Assert.Equal(1, attempts.Count(("outcome", "delivered"), ("status", "2xx")));
        Assert.Equal(1, attempts.Count(("outcome", "deadLettered"), ("status", "5xx")));
        // One 503 for the first subject, then every retry the schedule allows for the second before it gives up.
        var schedule = WebhookClusters.ShortSchedule.Split(',').Length;
        Assert.Equal(1 + schedule, attempts.Count(("outcome", "retrying"), ("status", "5xx")));
        Assert.Equal(2 + 1 + schedule, attempts.Count());
    }

    [Fact]
    public async Task An_event_appended_to_the_feed_records_its_lag_once_and_a_relayed_duplicate_records_none()
    {
        using var lag = Listen("oms.events.feed_lag");
        var publisher = _cluster.Silos[0].ServiceProvider.GetRequiredService<EventPublisher>();
        var subject = Subjects.Order(Network.Unique("ORD"));
        // Written to an outbox 42 s ago and moved only now, as the relay moves what a dead silo left.
        var stranded = new OutboxEvent(Guid.NewGuid(), EventTypes.OrderNoteAdded, subject, 1, DateTimeOffset.UtcNow.AddSeconds(-42),
            JsonSerializer.Serialize(new { subject }));
        await publisher.Publish([stranded]);
        Assert.InRange(Assert.Single(lag.Values(v => v >= 40)), 42, 60);

        // Another silo's relay moves the same entry: the feed already holds it, so nothing is recorded again.
        await _cluster.Silos[1].ServiceProvider.GetRequiredService<EventPublisher>().Publish([stranded]);
        Assert.Single(lag.Values(v => v >= 40));

        // A checkout's events go straight to the feed: placed and requested, each with a lag of moments.
        var before = lag.Values(v => v < 40).Count;
        var warehouse = Network.Unique("WH");
        var sku = Network.Unique("BAG");
        await FulfilmentDeadlineTests.Location(_cluster, warehouse, LocationType.Warehouse, Here.Lat, Here.Lon);
        await Network.Stock(Grains, warehouse, sku, 1);
        await FulfilmentDeadlineTests.WaitOnline(_cluster, sku, 1);
        var orderId = Network.Unique("ORD");
        Assert.Equal(PlaceOrderOutcome.Created, (await Grains.GetGrain<IOrderGrain>(orderId).Place(FulfilmentDeadlineTests.ShipOrder(orderId, sku))).Outcome);
        Assert.True(lag.Values(v => v < 40).Count >= before + 2, "the checkout's order.placed and fulfilment.requested recorded their lag");
        Assert.Single(lag.Values(v => v >= 40));
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
