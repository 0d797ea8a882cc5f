using Oms.Contracts.Events;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Returns;
using Oms.Tests.Fulfilment;
using Oms.Tests.Infrastructure;
using Orleans.TestingHost;
using static Oms.Tests.Fulfilment.FulfilmentDeadlineTests;

namespace Oms.Tests.Returns;

/// <summary>On PostgreSQL, with every silo killed: an acknowledged return, receipt and refund are what the next cluster knows.</summary>
[Collection("postgres")]
public sealed class ReturnDurabilityTests(PostgresFixture postgres)
{
    [Fact]
    public async Task An_acknowledged_return_its_receipt_and_its_refund_survive_killing_every_silo_and_the_authorisation_still_expires()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_returns_durability");
        var serviceId = Network.Unique("svc");
        var (warehouse, sku, orderId) = (Network.Unique("WH"), Network.Unique("SKU"), Network.Unique("ORD"));

        var first = await StartReturns(connectionString, serviceId);
        await Location(first, warehouse, LocationType.Warehouse, FulfilmentDeadlineTests.Customer.Lat, FulfilmentDeadlineTests.Customer.Lon);
        await Network.Stock(first.Client, warehouse, sku, 3);
        await WaitOnline(first, sku, 3);
        var order = ShipOrder(orderId, sku) with { Lines = [new OrderLine("1", sku, 2, 100m, "EUR")] };
        Assert.Equal(PlaceOrderOutcome.Created, (await first.Client.GetGrain<IOrderGrain>(orderId).Place(order)).Outcome);
        var fulfilment = first.Client.GetGrain<IFulfilmentGrain>(orderId);
        await fulfilment.Report("F1", new FulfilmentReport("s1", FulfilmentReportType.Shipped), null);
        await fulfilment.Report("F1", new FulfilmentReport("d1", FulfilmentReportType.Delivered), null);

        var returns = first.Client.GetGrain<IReturnsGrain>(orderId);
        var kept = await returns.Authorise(new AuthoriseReturn("k1", [new ReturnLineRequest("1", 1, ReturnReason.DoesNotFit)], ReturnMethod.ShipBack, warehouse, null));
        var lapsing = await returns.Authorise(new AuthoriseReturn("k2", [new ReturnLineRequest("1", 1, ReturnReason.Other)], ReturnMethod.ShipBack, warehouse, null));
        var receipt = new ReceiveReturn("r1", warehouse, [new ReceiveLine("1", 1, ReturnCondition.Resellable)]);
        Assert.Equal(ReturnOutcome.Received, (await returns.Receive(kept.Return!.ReturnId, receipt, null)).Outcome);
        await Kill(first);

        await using var second = await StartReturns(connectionString, serviceId);
        var again = second.Client.GetGrain<IReturnsGrain>(orderId);
        var read = await again.Get(kept.Return.ReturnId);
        Assert.Equal((ReturnStatus.Received, 1), (read!.Status, read.Lines[0].Received));
        Assert.Equal(ReturnOutcome.Replayed, (await again.Receive(kept.Return.ReturnId, receipt, null)).Outcome);
        Assert.Equal(ReturnOutcome.Replayed, (await again.Authorise(new AuthoriseReturn("k1", [new ReturnLineRequest("1", 1, ReturnReason.DoesNotFit)], ReturnMethod.ShipBack, warehouse, null))).Outcome);
        var level = await Network.Item(second.Client, warehouse, sku).GetLevel();
        Assert.Equal((2, 2), (level.OnHand, level.Available));
        Assert.True((await Network.Item(second.Client, warehouse, sku).Verify()).Consistent);

        // Only the reminder, read back by the new cluster, can run the second authorisation out.
        var expired = await Eventually.Until(() => again.Get(lapsing.Return!.ReturnId), r => r!.Status == ReturnStatus.Expired, TimeSpan.FromSeconds(60), "the authorisation expires after the restart");
        Assert.Equal(0, expired!.Lines[0].Received);
        var view = await second.Client.GetGrain<IOrderGrain>(orderId).Get();
        Assert.Equal(100m, Assert.Single(view!.Refunds!).Amount);
        var events = await Eventually.Until(() => second.Client.GetGrain<IEventFeedGrain>(0).ReadSubject(Subjects.Order(orderId), 0, 100),
            p => p.Events.Any(e => e.Type == EventTypes.ReturnExpired), TimeSpan.FromSeconds(15), "return.expired is in the feed");
        Assert.Equal(1, events.Events.Count(e => e.Type == EventTypes.RefundRequested));
        Assert.Equal(2, events.Events.Count(e => e.Type == EventTypes.ReturnAuthorised));
    }

    private static Task<InProcessTestCluster> StartReturns(string connectionString, string serviceId) =>
        TestClusters.StartAsync(connectionString, serviceId, extra: new Dictionary<string, string?>(ReturnsFixture.Settings)
        {
            ["Oms:Returns:AuthorisationDays"] = "25",
        });
}
