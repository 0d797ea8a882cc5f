using Oms.Contracts.Fulfilments;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Fulfilment.FulfilmentQueueTests;

namespace Oms.Tests.Fulfilment;

/// <summary>What the queue wrote is what the next cluster lists, after every silo died; so is a remembered version.</summary>
[Collection("postgres")]
public sealed class FulfilmentQueueDurabilityTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_queue_and_its_versions_survive_killing_every_silo()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_fulfilment_queue");
        var serviceId = Network.Unique("svc");
        var location = Network.Unique("WH");

        var first = await TestClusters.StartAsync(connectionString, serviceId);
        var queue = first.Client.GetGrain<IFulfilmentQueueGrain>(location);
        await queue.Put("O1", 2, [Entry("O1", "F1", 2, FulfilmentStatus.Accepted)]);
        await queue.Put("O2", 1, [Entry("O2", "F1", 1)]);
        await queue.Put("O3", 5, []);

        // The queue writes a moment after it changes; killed, not stopped, only what it wrote can survive.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await Task.WhenAll(first.Silos.ToList().Select(silo => first.KillSiloAsync(silo)));
        await first.DisposeAsync();

        await using var second = await TestClusters.StartAsync(connectionString, serviceId);
        var after = second.Client.GetGrain<IFulfilmentQueueGrain>(location);
        var page = await after.List(null, 10, null);
        Assert.Equal(["O2/F1", "O1/F1"], page.Items.Select(t => $"{t.OrderId}/{t.FulfilmentId}"));
        Assert.Equal(FulfilmentStatus.Accepted, page.Items[1].Status);
        Assert.Equal("Ada L.", page.Items[1].CustomerName);

        await after.Put("O3", 4, [Entry("O3", "F1")]);
        await after.Put("O1", 1, []);
        Assert.Equal(2, (await after.List(null, 10, null)).Items.Count);
    }

    /// <summary>A queue entry lost with a crash (written after the kill would have flushed it) is put again by its order.</summary>
    [Fact]
    public async Task A_queue_that_lost_an_entry_in_a_crash_gets_it_back_from_the_order()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_fulfilment_queue_heal");
        var serviceId = Network.Unique("svc");
        var warehouse = Network.Unique("WH");
        var sku = Network.Unique("SKU");
        var orderId = Network.Unique("ORD");

        var first = await FulfilmentDeadlineTests.Start(connectionString, serviceId);
        await FulfilmentDeadlineTests.Location(first, warehouse, Oms.Contracts.Locations.LocationType.Warehouse,
            FulfilmentDeadlineTests.Customer.Lat, FulfilmentDeadlineTests.Customer.Lon);
        await Network.Stock(first.Client, warehouse, sku, 1);
        await FulfilmentDeadlineTests.WaitOnline(first, sku, 1);
        var placed = await first.Client.GetGrain<Oms.Contracts.Orders.IOrderGrain>(orderId).Place(FulfilmentDeadlineTests.ShipOrder(orderId, sku));
        Assert.Equal(Oms.Contracts.Orders.PlaceOrderOutcome.Created, placed.Outcome);
        await FulfilmentDeadlineTests.Kill(first);

        await using var second = await FulfilmentDeadlineTests.Start(connectionString, serviceId);
        var page = await Eventually.Until(() => second.Client.GetGrain<IFulfilmentQueueGrain>(warehouse).List(null, 10, null),
            p => p.Items.Count == 1, TimeSpan.FromSeconds(20), "the order's request is back in the queue");
        Assert.Equal((orderId, "F1", FulfilmentStatus.Requested), (page.Items[0].OrderId, page.Items[0].FulfilmentId, page.Items[0].Status));
    }
}
