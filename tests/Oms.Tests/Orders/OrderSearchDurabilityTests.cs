using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Fulfilment.FulfilmentDeadlineTests;

namespace Oms.Tests.Orders;

/// <summary>Order search on PostgreSQL, with every silo killed: its rows and checkpoint are what the next cluster searches and goes on from.</summary>
[Collection("postgres")]
public sealed class OrderSearchDurabilityTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Rows_and_checkpoint_survive_killing_every_silo_and_the_projection_goes_on_without_a_rebuild()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_order_search_durability");
        var serviceId = Network.Unique("svc");
        var (warehouse, sku) = (Network.Unique("WH"), Network.Unique("SKU"));
        var (before, after) = (Network.Unique("ORD"), Network.Unique("ORD"));

        var first = await Start(connectionString, serviceId);
        await Location(first, warehouse, LocationType.Warehouse, Oms.Tests.Fulfilment.FulfilmentDeadlineTests.Customer.Lat, Oms.Tests.Fulfilment.FulfilmentDeadlineTests.Customer.Lon);
        await Network.Stock(first.Client, warehouse, sku, 2);
        await WaitOnline(first, sku, 2);
        Assert.Equal(PlaceOrderOutcome.Created, (await first.Client.GetGrain<IOrderGrain>(before).Place(ShipOrder(before, sku))).Outcome);
        var found = await Eventually.Until(() => first.Client.GetGrain<IOrderIndexGrain>(0).Search(new OrderQuery(10, Q: before)),
            p => p.Items.Count == 1, TimeSpan.FromSeconds(15), "the first order in search");
        var checkpoint = await first.Client.GetGrain<IOrderIndexGrain>(0).Checkpoint();
        Assert.True(checkpoint >= found.Items[0].Position);
        await Kill(first);

        await using var second = await Start(connectionString, serviceId);
        var index = second.Client.GetGrain<IOrderIndexGrain>(0);
        Assert.Equal(before, Assert.Single((await index.Search(new OrderQuery(10, Q: before))).Items).OrderId);
        Assert.True(await index.Checkpoint() >= checkpoint);

        Assert.Equal(PlaceOrderOutcome.Created, (await second.Client.GetGrain<IOrderGrain>(after).Place(ShipOrder(after, sku))).Outcome);
        var both = await Eventually.Until(() => index.Search(new OrderQuery(10, CustomerId: null, LocationId: warehouse)),
            p => p.Items.Count == 2, TimeSpan.FromSeconds(15), "both orders in search after the restart");
        Assert.Equal([after, before], both.Items.Select(i => i.OrderId));
    }
}
