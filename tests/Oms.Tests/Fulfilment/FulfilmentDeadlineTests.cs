using Oms.Contracts.Events;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Oms.Tests.Fulfilment;

/// <summary>
/// Deadlines on PostgreSQL, with the whole cluster killed between the moment a deadline is set and the moment it
/// passes: only the reminder, read back by a new cluster, can enforce it.
/// </summary>
[Collection("postgres")]
public sealed class FulfilmentDeadlineTests(PostgresFixture postgres)
{
    internal static readonly (double Lat, double Lon) Customer = (48.86, 2.34);

    [Fact]
    public async Task A_request_not_accepted_in_time_is_rejected_as_timed_out_and_re_sourced_after_a_restart()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_fulfilment_accept_deadline");
        var serviceId = Network.Unique("svc");
        var sku = Network.Unique("SKU");
        var orderId = Network.Unique("ORD");
        var (slow, spare) = (Network.Unique("WH-SLOW"), Network.Unique("WH-SPARE"));

        var first = await Start(connectionString, serviceId);
        // Six profile minutes of one second each: the first cluster is gone before they pass.
        await Location(first, slow, LocationType.Warehouse, Customer.Lat, Customer.Lon, acceptWithin: 6);
        await Location(first, spare, LocationType.Warehouse, Customer.Lat + 1, Customer.Lon + 1);
        await Network.Stock(first.Client, slow, sku, 1);
        await Network.Stock(first.Client, spare, sku, 1);
        await WaitOnline(first, sku, 2);
        var placed = await first.Client.GetGrain<IOrderGrain>(orderId).Place(ShipOrder(orderId, sku));
        Assert.Equal(PlaceOrderOutcome.Created, placed.Outcome);
        Assert.Equal(slow, placed.Order!.Fulfilments.Single().LocationId);

        // The network's availability view is derived and written a second after it changes; a crash sooner would
        // leave the new cluster a view without the spare warehouse, and the re-sourcing would rightly find nothing.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await Kill(first);

        await using var second = await Start(connectionString, serviceId);
        var order = await Eventually.Until(() => second.Client.GetGrain<IOrderGrain>(orderId).Get(),
            o => o!.Fulfilments.Any(f => f.Status == FulfilmentStatus.Requested && f.LocationId == spare), TimeSpan.FromSeconds(30), "the timed-out request is re-sourced");
        var timedOut = order!.Fulfilments.Single(f => f.LocationId == slow);
        Assert.Equal((FulfilmentStatus.Rejected, RejectionReason.Timeout), (timedOut.Status, timedOut.RejectionReason));

        // Released, not written off: the units are still on the slow warehouse's shelf.
        var atSlow = await Network.Item(second.Client, slow, sku).GetLevel();
        Assert.Equal((1, 0, 1), (atSlow.OnHand, atSlow.Allocated, atSlow.Available));
        Assert.Equal(1, (await Network.Item(second.Client, spare, sku).GetLevel()).Allocated);
        await AssertVerified(second, (slow, sku), (spare, sku));
        var types = await Types(second, orderId, 4);
        Assert.Equal([EventTypes.OrderPlaced, EventTypes.FulfilmentRequested, EventTypes.FulfilmentRejected, EventTypes.FulfilmentRequested], types);

        // The slow warehouse's WMS had shipped after all: the parcel stands, the replacement is called off.
        var late = await second.Client.GetGrain<IFulfilmentGrain>(orderId).Report(timedOut.FulfilmentId,
            new FulfilmentReport("wms-late", FulfilmentReportType.Shipped, Carrier: "DHL", TrackingNumber: "LATE-1"), null);
        Assert.Equal((FulfilmentReportOutcome.Applied, FulfilmentStatus.Shipped), (late.Outcome, late.Fulfilment!.Status));
        order = await second.Client.GetGrain<IOrderGrain>(orderId).Get();
        Assert.Equal((OrderStatus.Shipped, 1, 0), (order!.Status, order.Lines[0].ShippedQuantity, order.Lines[0].AllocatedQuantity));
        Assert.Equal(FulfilmentStatus.Cancelled, order.Fulfilments.Single(f => f.LocationId == spare).Status);
        atSlow = await Network.Item(second.Client, slow, sku).GetLevel();
        Assert.Equal((0, 0), (atSlow.OnHand, atSlow.Allocated));
        Assert.Equal((1, 0), ((await Network.Item(second.Client, spare, sku).GetLevel()).OnHand, (await Network.Item(second.Client, spare, sku).GetLevel()).Allocated));
        await AssertVerified(second, (slow, sku), (spare, sku));
    }

    [Fact]
    public async Task A_parcel_not_collected_in_time_expires_after_a_restart_back_on_the_shelf_and_its_lines_cancelled()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_fulfilment_pickup_deadline");
        var serviceId = Network.Unique("svc");
        var (bag, scarf) = (Network.Unique("BAG"), Network.Unique("SCARF"));
        var orderId = Network.Unique("ORD");
        var boutique = Network.Unique("BTQ");

        var first = await Start(connectionString, serviceId);
        // Two profile days of two seconds each.
        await Location(first, boutique, LocationType.Boutique, Customer.Lat, Customer.Lon, holdForPickup: 2);
        await Network.Stock(first.Client, boutique, bag, 1);
        await Network.Stock(first.Client, boutique, scarf, 1);
        await WaitOnline(first, bag, 1);
        await WaitOnline(first, scarf, 1);
        var placed = await first.Client.GetGrain<IOrderGrain>(orderId).Place(PickupOrder(orderId, boutique, bag, scarf));
        Assert.Equal(PlaceOrderOutcome.Created, placed.Outcome);
        var f1 = placed.Order!.Fulfilments.Single();
        Assert.Equal(FulfilmentMode.Pickup, f1.Mode);

        // The bag is ready; the scarf is still being found.
        var ready = await first.Client.GetGrain<IFulfilmentGrain>(orderId).Report(f1.FulfilmentId,
            new FulfilmentReport("store-1", FulfilmentReportType.ReadyForPickup, [new FulfilmentLine("1", 1)]), null);
        Assert.Equal(FulfilmentReportOutcome.Applied, ready.Outcome);
        Assert.NotNull(ready.Fulfilment!.PickupCode);
        await Kill(first);

        await using var second = await Start(connectionString, serviceId);
        var order = await Eventually.Until(() => second.Client.GetGrain<IOrderGrain>(orderId).Get(),
            o => o!.Fulfilments.Any(f => f.Status == FulfilmentStatus.Expired), TimeSpan.FromSeconds(30), "the uncollected parcel expires");
        Assert.Equal((0, 1), (order!.Lines[0].AllocatedQuantity, order.Lines[0].CancelledQuantity));
        Assert.Equal((1, 0), (order.Lines[1].AllocatedQuantity, order.Lines[1].CancelledQuantity));
        Assert.Equal(OrderStatus.PartiallyCancelled, order.Status);
        var shelf = await Network.Item(second.Client, boutique, bag).GetLevel();
        Assert.Equal((1, 0, 1), (shelf.OnHand, shelf.Allocated, shelf.Available));
        await AssertVerified(second, (boutique, bag), (boutique, scarf));
        var types = await Types(second, orderId, 6);
        Assert.Equal([EventTypes.OrderPlaced, EventTypes.FulfilmentRequested, EventTypes.FulfilmentAccepted, EventTypes.FulfilmentReadyForPickup, EventTypes.FulfilmentExpired, EventTypes.OrderLinesCancelled], types);
    }

    /// <summary>
    /// Shipments reported while the cluster is killed, then reported again (the same event ids, as a WMS retries) to
    /// a new one: every order ends shipped once, with each of its events in the feed exactly once, in sequence.
    /// </summary>
    [Fact]
    public async Task Reports_interrupted_by_a_crash_and_retried_are_applied_once_with_no_event_lost_or_repeated()
    {
        const int Orders = 20;
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_fulfilment_report_crash");
        var serviceId = Network.Unique("svc");
        var sku = Network.Unique("SKU");
        var warehouse = Network.Unique("WH");
        var ids = Enumerable.Range(0, Orders).Select(_ => Network.Unique("ORD")).ToList();

        var first = await Start(connectionString, serviceId);
        await Location(first, warehouse, LocationType.Warehouse, Customer.Lat, Customer.Lon);
        await Network.Stock(first.Client, warehouse, sku, Orders + 5);
        await WaitOnline(first, sku, Orders + 5);
        foreach (var id in ids)
        {
            Assert.Equal(PlaceOrderOutcome.Created, (await first.Client.GetGrain<IOrderGrain>(id).Place(ShipOrder(id, sku))).Outcome);
        }

        FulfilmentReport Shipped(string id) => new($"wms-{id}", FulfilmentReportType.Shipped, Carrier: "DHL", TrackingNumber: id);
        var inFlight = ids.Select(id => first.Client.GetGrain<IFulfilmentGrain>(id).Report("F1", Shipped(id), null)).ToList();
        await Task.Delay(TimeSpan.FromMilliseconds(30));
        await Kill(first);
        await Task.WhenAll(inFlight.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        await using var second = await Start(connectionString, serviceId);
        foreach (var id in ids)
        {
            var result = await Eventually.Until(async () =>
            {
                try
                {
                    return await second.Client.GetGrain<IFulfilmentGrain>(id).Report("F1", Shipped(id), null);
                }
                catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
                {
                    return null;
                }
            }, r => r is { Outcome: FulfilmentReportOutcome.Applied or FulfilmentReportOutcome.Replayed }, TimeSpan.FromSeconds(30), $"{id}'s shipment is taken");
            Assert.Equal(FulfilmentStatus.Shipped, result!.Fulfilment!.Status);
        }

        foreach (var id in ids)
        {
            var events = await Types(second, id, 5);
            Assert.Equal([EventTypes.OrderPlaced, EventTypes.FulfilmentRequested, EventTypes.FulfilmentAccepted, EventTypes.FulfilmentPacked, EventTypes.FulfilmentShipped], events);
            var page = await second.Client.GetGrain<IEventFeedGrain>(0).ReadSubject(Subjects.Order(id), 0, 100);
            Assert.Equal([1L, 2, 3, 4, 5], page.Events.Select(e => e.Sequence));
            Assert.Equal(OrderStatus.Shipped, (await second.Client.GetGrain<IOrderGrain>(id).Get())!.Status);
        }

        var level = await Network.Item(second.Client, warehouse, sku).GetLevel();
        Assert.Equal((5, 0, 5), (level.OnHand, level.Allocated, level.Available));
        await AssertVerified(second, (warehouse, sku));
    }

    internal static Task<InProcessTestCluster> Start(string connectionString, string serviceId) =>
        TestClusters.StartAsync(connectionString, serviceId, extra: FulfilmentFixture.FastDeadlines);

    internal static async Task Kill(InProcessTestCluster cluster)
    {
        await Task.WhenAll(cluster.Silos.ToList().Select(silo => cluster.KillSiloAsync(silo)));
        await cluster.DisposeAsync();
    }

    internal static Task Location(InProcessTestCluster cluster, string id, LocationType type, double lat, double lon, int? acceptWithin = 10_000, int? holdForPickup = null) =>
        cluster.Client.GetGrain<ILocationGrain>(id).Upsert(new LocationInfo(id, id, type, lat, lon, "FR", "UTC",
            AcceptWithinMinutes: acceptWithin, HoldForPickupDays: holdForPickup));

    internal static async Task WaitOnline(InProcessTestCluster cluster, string sku, int units)
    {
        await Eventually.Until(() => cluster.Client.GetGrain<Oms.Contracts.ClickAndCollect.INetworkGrain>(0).GetAvailability(sku, Oms.Contracts.ClickAndCollect.AvailabilityView.Online),
            v => v.Available == units, TimeSpan.FromSeconds(10), $"{sku} shows online");
        await Task.Delay(TestClusters.ProfileRefresh * 2);
    }

    private static async Task AssertVerified(InProcessTestCluster cluster, params (string Location, string Sku)[] items)
    {
        foreach (var (location, sku) in items)
        {
            var report = await Network.Item(cluster.Client, location, sku).Verify();
            Assert.True(report.Consistent, $"{sku}@{location}: live {report.Live}, replayed {report.Replayed}");
        }
    }

    private static async Task<IReadOnlyList<string>> Types(InProcessTestCluster cluster, string orderId, int count) =>
        [.. (await Eventually.Until(() => cluster.Client.GetGrain<IEventFeedGrain>(0).ReadSubject(Subjects.Order(orderId), 0, 100),
            p => p.Events.Count >= count, TimeSpan.FromSeconds(15), $"{count} events of the order")).Events.Select(e => e.Type)];

    internal static PlaceOrder ShipOrder(string orderId, string sku) => new(
        OrderChannel.Web, new Customer("C-" + orderId, null, "Ada Lovelace"),
        [new OrderLine("1", sku, 1, 100m, "EUR")],
        new Delivery(DeliveryMethod.ShipToHome, new DeliveryAddress("1 Main St", "Paris", "75001", "FR", Customer.Lat, Customer.Lon), null),
        null);

    private static PlaceOrder PickupOrder(string orderId, string boutique, string bag, string scarf) => new(
        OrderChannel.Web, new Customer("C-" + orderId, null, "Ada Lovelace"),
        [new OrderLine("1", bag, 1, 100m, "EUR"), new OrderLine("2", scarf, 1, 50m, "EUR")],
        new Delivery(DeliveryMethod.ClickAndCollect, null, boutique),
        null);
}
