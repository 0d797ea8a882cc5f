using System.Net;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Fulfilment;

[Collection("fulfilment")]
public sealed class CancelShipRaceTests(FulfilmentFixture fixture)
{
    private readonly FulfilmentKit _kit = fixture.Kit;

    /// <summary>
    /// A hundred orders of one unit; for half of them the customer's cancel and the warehouse's shipped report
    /// arrive at the same moment, the other half are only cancelled. Whichever arrives first, the parcel that left
    /// is shipped and its unit off the books (to be intercepted if the cancel came second), and every unit that
    /// did not leave is back on sale: exactly.
    /// </summary>
    [Fact]
    public async Task A_hundred_cancels_racing_shipments_leave_the_stock_exact()
    {
        const int Orders = 100;
        var warehouse = await _kit.Location("warehouse");
        var sku = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, Orders);
        await _kit.WaitForAvailability(sku, Orders);
        var ids = Enumerable.Range(0, Orders).Select(_ => Network.Unique("ORD")).ToList();
        foreach (var batch in ids.Chunk(10))
        {
            await Task.WhenAll(batch.Select(id => _kit.Place(FulfilmentKit.ShipBody(id, (sku, 1)))));
        }

        var outcomes = await Task.WhenAll(ids.Select(async (id, i) =>
        {
            var cancel = _kit.Post($"/api/v1/orders/{id}/cancel", """{ "reason": "changed mind" }""", Network.Unique("KEY"));
            var ship = i % 2 == 0
                ? _kit.Report(id, "F1", new { eventId = $"wms-{id}", type = "shipped", carrier = "DHL", trackingNumber = id })
                : Task.FromResult<HttpResponseMessage?>(null)!;
            await Task.WhenAll(cancel, ship);
            var cancelled = await cancel;
            Assert.True(cancelled.StatusCode != HttpStatusCode.InternalServerError, await cancelled.Content.ReadAsStringAsync());
            return (Id: id, Cancel: cancelled.StatusCode, Ship: (await ship)?.StatusCode);
        }));

        foreach (var (id, cancel, ship) in outcomes)
        {
            var order = await _kit.Order(id);
            var line = order["lines"]![0]!;
            if (ship is null)
            {
                Assert.Equal(HttpStatusCode.OK, cancel);
                Assert.Equal(("cancelled", 1), ((string?)order["status"], (int)line["cancelledQuantity"]!));
                continue;
            }

            // The shipment always stands; the cancel was either reversed by it, or came after it and asked the
            // carrier to bring the parcel back: one or the other, never both and never neither.
            Assert.Equal(HttpStatusCode.OK, ship);
            Assert.Equal(HttpStatusCode.OK, cancel);
            Assert.Equal(("shipped", 1, 0), ((string?)order["status"], (int)line["shippedQuantity"]!, (int)line["cancelledQuantity"]!));
            var types = await _kit.EventTypes(id, 6);
            Assert.True(types.Contains("order.cancellationReversed") != types.Contains("fulfilment.interceptRequested"), string.Join(", ", types));
        }

        var level = await _kit.Level(warehouse, sku);
        Assert.Equal((Orders / 2, 0, Orders / 2), ((int)level["onHand"]!, (int)level["allocated"]!, (int)level["available"]!));
        await _kit.AssertConsistent(ids[0], (warehouse, sku));
        foreach (var id in ids)
        {
            await _kit.AssertConsistent(id);
        }
    }

    [Fact]
    public async Task The_work_queue_shows_a_request_until_it_leaves_oldest_first_with_its_deadline_and_customer()
    {
        var warehouse = await _kit.Location("warehouse");
        var sku = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, 3);
        await _kit.WaitForAvailability(sku, 3);
        var (first, second) = (Network.Unique("ORD"), Network.Unique("ORD"));
        await _kit.Place(FulfilmentKit.ShipBody(first, (sku, 1)));
        await _kit.Place(FulfilmentKit.ShipBody(second, (sku, 2)));

        var queue = await Eventually.Until(async () => await FulfilmentKit.Json(await fixture.Admin.GetAsync($"/api/v1/locations/{warehouse}/fulfilments?status=requested")),
            q => q["items"]!.AsArray().Count == 2, TimeSpan.FromSeconds(5), "both requests are queued");
        Assert.Equal([first, second], queue["items"]!.AsArray().Select(t => (string)t!["orderId"]!));
        Assert.Equal("Ada Lovelace", (string?)queue["items"]![0]!["customerName"]);
        Assert.NotNull(queue["items"]![0]!["acceptBy"]);
        Assert.Equal(2, (int)queue["items"]![1]!["lines"]![0]!["quantity"]!);

        await _kit.Reported(first, "F1", new { eventId = Network.Unique("E"), type = "accepted" });
        var requested = await FulfilmentKit.Json(await fixture.Admin.GetAsync($"/api/v1/locations/{warehouse}/fulfilments?status=requested"));
        Assert.Equal([second], requested["items"]!.AsArray().Select(t => (string)t!["orderId"]!));
        var accepted = await FulfilmentKit.Json(await fixture.Admin.GetAsync($"/api/v1/locations/{warehouse}/fulfilments?status=accepted"));
        Assert.Equal([first], accepted["items"]!.AsArray().Select(t => (string)t!["orderId"]!));

        await _kit.Reported(first, "F1", new { eventId = Network.Unique("E"), type = "shipped" });
        Assert.Equal(HttpStatusCode.OK, (await _kit.Post($"/api/v1/orders/{second}/cancel", """{ "reason": "changed mind" }""")).StatusCode);
        var open = await FulfilmentKit.Json(await fixture.Admin.GetAsync($"/api/v1/locations/{warehouse}/fulfilments"));
        Assert.Empty(open["items"]!.AsArray());
    }
}
