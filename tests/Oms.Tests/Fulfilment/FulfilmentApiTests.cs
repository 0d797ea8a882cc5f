using System.Net;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;
using Oms.Tests.Security;

namespace Oms.Tests.Fulfilment;

[Collection("fulfilment")]
public sealed class FulfilmentApiTests(FulfilmentFixture fixture)
{
    private readonly FulfilmentKit _kit = fixture.Kit;
    private readonly HttpClient _admin = fixture.Admin;

    private static string Id(JsonNode node, int index = 0) => (string)node["fulfilments"]![index]!["fulfilmentId"]!;

    private static JsonNode Line(JsonNode order, string lineId = "1") => order["lines"]!.AsArray().First(l => (string)l!["lineId"]! == lineId)!;

    [Fact]
    public async Task A_partial_shipment_then_the_rest_then_delivery_completes_the_order_and_the_ledger_follows()
    {
        var warehouse = await _kit.Location("warehouse");
        var sku = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, 5);
        await _kit.WaitForAvailability(sku, 5);
        var orderId = Network.Unique("ORD");
        var placed = await _kit.Place(FulfilmentKit.ShipBody(orderId, (sku, 2)));
        var f1 = Id(placed);
        Assert.Equal("requested", (string?)placed["fulfilments"]![0]!["status"]);
        Assert.NotNull(placed["fulfilments"]![0]!["acceptBy"]);

        await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "accepted" });
        var parcel = await _kit.Reported(orderId, f1, new
        {
            eventId = Network.Unique("E"), type = "shipped", carrier = "DHL", service = "express", trackingNumber = "JD0001",
            trackingUrl = "https://dhl.example/JD0001", lines = new[] { new { lineId = "1", quantity = 1 } },
        });
        Assert.Equal(("shipped", f1), ((string?)parcel["status"], (string?)parcel["splitFrom"]));
        Assert.Equal("JD0001", (string?)parcel["shipment"]!["trackingNumber"]);

        var partly = await _kit.Order(orderId);
        Assert.Equal("partiallyShipped", (string?)partly["status"]);
        Assert.Equal((1, 1), ((int)Line(partly)["allocatedQuantity"]!, (int)Line(partly)["shippedQuantity"]!));
        var level = await _kit.Level(warehouse, sku);
        Assert.Equal((4, 1), ((int)level["onHand"]!, (int)level["allocated"]!));

        var rest = await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "shipped", carrier = "DHL", trackingNumber = "JD0002" });
        Assert.Equal(("shipped", f1), ((string?)rest["status"], (string?)rest["fulfilmentId"]));
        Assert.Equal("shipped", (string?)(await _kit.Order(orderId))["status"]);

        await _kit.Reported(orderId, (string)parcel["fulfilmentId"]!, new { eventId = Network.Unique("E"), type = "delivered" });
        Assert.Equal("shipped", (string?)(await _kit.Order(orderId))["status"]);
        await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "delivered" });

        var done = await _kit.Order(orderId);
        Assert.Equal("completed", (string?)done["status"]);
        Assert.Equal(2, (int)Line(done)["deliveredQuantity"]!);
        level = await _kit.Level(warehouse, sku);
        Assert.Equal((3, 0, 3), ((int)level["onHand"]!, (int)level["allocated"]!, (int)level["available"]!));
        var ledger = await FulfilmentKit.Json(await _admin.GetAsync($"/api/v1/locations/{warehouse}/stock/{sku}/ledger"));
        Assert.Equal(2, ledger["entries"]!.AsArray().Count(e => (string?)e!["kind"] == "shipped"));

        var types = await _kit.EventTypes(orderId, 8);
        Assert.Equal(
            ["order.placed", "fulfilment.requested", "fulfilment.accepted", "fulfilment.packed", "fulfilment.shipped", "fulfilment.packed", "fulfilment.shipped", "fulfilment.delivered", "fulfilment.delivered", "order.completed"],
            types);
        await _kit.AssertConsistent(orderId, (warehouse, sku));
    }

    [Fact]
    public async Task A_replayed_event_id_answers_the_same_a_late_one_changes_nothing_and_an_impossible_one_names_the_status()
    {
        var warehouse = await _kit.Location("warehouse");
        var sku = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, 3);
        await _kit.WaitForAvailability(sku, 3);
        var orderId = Network.Unique("ORD");
        var f1 = Id(await _kit.Place(FulfilmentKit.ShipBody(orderId, (sku, 1))));

        var shipped = new { eventId = Network.Unique("E"), type = "shipped", carrier = "UPS", trackingNumber = "1Z" };
        var first = await _kit.Reported(orderId, f1, shipped);
        var replay = await _kit.Reported(orderId, f1, shipped);
        Assert.Equal(first.ToJsonString(), replay.ToJsonString());
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, shipped with { trackingNumber = "OTHER" }), HttpStatusCode.UnprocessableEntity, field: "eventId");

        // Shipped implied accepted and packed; a packed report arriving now is behind and changes nothing.
        var late = await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "packed" });
        Assert.Equal("shipped", (string?)late["status"]);
        Assert.Equal((2, 0), ((int)(await _kit.Level(warehouse, sku))["onHand"]!, (int)(await _kit.Level(warehouse, sku))["allocated"]!));

        var impossible = await _kit.Report(orderId, f1, new { eventId = Network.Unique("E"), type = "rejected", reason = "notFound" });
        await SecurityTestKit.AssertProblem(impossible, HttpStatusCode.Conflict, field: "type");
        Assert.Equal("shipped", (string?)(await FulfilmentKit.Json(impossible))["currentStatus"]);
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = Network.Unique("E"), type = "collected", pickupCode = "123456" }), HttpStatusCode.Conflict);

        // Bad input names the field and changes nothing.
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = "", type = "accepted" }), HttpStatusCode.BadRequest, field: "eventId");
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = "e1", type = "teleported" }), HttpStatusCode.BadRequest, field: "type");
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = "e1", type = "rejected" }), HttpStatusCode.BadRequest, field: "reason");
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = "e1", type = "rejected", reason = "timeout" }), HttpStatusCode.BadRequest, field: "reason");
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = "e1", type = "delivered", lines = new[] { new { lineId = "9", quantity = 1 } } }), HttpStatusCode.BadRequest, field: "lines[0].lineId");
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = "e1", type = "delivered", lines = new[] { new { lineId = "1", quantity = 2 } } }), HttpStatusCode.BadRequest, field: "lines[0].quantity");
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = "e1", type = "shipped", trackingUrl = "javascript:alert(1)" }), HttpStatusCode.BadRequest, field: "trackingUrl");
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, "F9", new { eventId = "e1", type = "delivered" }), HttpStatusCode.NotFound, field: "fulfilmentId");
        await SecurityTestKit.AssertProblem(await _kit.Report(Network.Unique("NOPE"), "F1", new { eventId = "e1", type = "delivered" }), HttpStatusCode.NotFound, field: "orderId");
        Assert.Equal("shipped", (string?)(await _kit.Order(orderId))["status"]);
        await _kit.AssertConsistent(orderId, (warehouse, sku));
    }

    [Fact]
    public async Task A_rejection_corrects_the_stock_re_sources_elsewhere_and_with_no_candidate_left_the_order_needs_attention()
    {
        var first = await _kit.Location("warehouse", priority: 10);
        var second = await _kit.Location("warehouse", offset: 0.5);
        var sku = Network.Unique("BAG");
        await _kit.Stock(first, sku, 2);
        await _kit.Stock(second, sku, 2);
        await _kit.WaitForAvailability(sku, 4);
        var orderId = Network.Unique("ORD");
        var placed = await _kit.Place(FulfilmentKit.ShipBody(orderId, (sku, 1)));
        var (f1, at) = (Id(placed), (string)placed["fulfilments"]![0]!["locationId"]!);
        var other = at == first ? second : first;

        var rejected = await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "rejected", reason = "notFound", note = "not on the shelf" });
        Assert.Equal(("rejected", "notFound"), ((string?)rejected["status"], (string?)rejected["rejectionReason"]));
        var level = await _kit.Level(at, sku);
        Assert.Equal((1, 0), ((int)level["onHand"]!, (int)level["allocated"]!));

        var order = await _kit.Order(orderId);
        var f2 = order["fulfilments"]!.AsArray().Single(f => (string?)f!["status"] == "requested")!;
        Assert.Equal(other, (string?)f2["locationId"]);
        Assert.Contains(f2["explanation"]!["candidates"]!.AsArray(), c => (string?)c!["locationId"] == at && (string?)c["verdict"] == "excluded");
        Assert.Equal(1, (int)(await _kit.Level(other, sku))["allocated"]!);
        Assert.Contains(order["timeline"]!.AsArray(), e => (string?)e!["type"] == "fulfilment.rejected" && ((string)e["details"]!).Contains("notFound"));
        Assert.Contains(order["timeline"]!.AsArray(), e => (string?)e!["type"] == "fulfilment.requested" && ((string)e["details"]!).Contains("excluded"));

        // The second location finds it damaged: quarantined there; the first is never asked again, so nobody is left.
        await _kit.Reported(orderId, (string)f2["fulfilmentId"]!, new { eventId = Network.Unique("E"), type = "rejected", reason = "damaged" });
        level = await _kit.Level(other, sku);
        Assert.Equal((2, 0, 1, 1), ((int)level["onHand"]!, (int)level["allocated"]!, (int)level["quarantined"]!, (int)level["available"]!));
        order = await _kit.Order(orderId);
        Assert.NotNull((string?)order["needsAttention"]);
        Assert.Equal(1, (int)Line(order)["unfulfillableQuantity"]!);
        Assert.Equal(
            ["order.placed", "fulfilment.requested", "fulfilment.rejected", "fulfilment.requested", "fulfilment.rejected", "order.needsAttention"],
            await _kit.EventTypes(orderId, 6));
        await _kit.AssertConsistent(orderId, (first, sku), (second, sku));

        // Stock arrives somewhere new; care re-sources.
        var third = await _kit.Location("warehouse", offset: 1);
        await _kit.Stock(third, sku, 1);
        await _kit.WaitForAvailability(sku, 3);
        var resourced = await FulfilmentKit.Json(await _kit.Post($"/api/v1/orders/{orderId}/resource", ""));
        Assert.Null(resourced["needsAttention"]);
        Assert.Equal(third, (string?)resourced["fulfilments"]!.AsArray().Single(f => (string?)f!["status"] == "requested")!["locationId"]);
        await SecurityTestKit.AssertProblem(await _kit.Post($"/api/v1/orders/{orderId}/resource", ""), HttpStatusCode.Conflict);
        await _kit.AssertConsistent(orderId, (first, sku), (second, sku), (third, sku));
    }

    [Fact]
    public async Task A_delivered_order_cannot_be_cancelled_and_a_shipment_reported_after_a_cancel_reverses_it()
    {
        var warehouse = await _kit.Location("warehouse");
        var sku = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, 4);
        await _kit.WaitForAvailability(sku, 4);

        var shippedFirst = Network.Unique("ORD");
        var f1 = Id(await _kit.Place(FulfilmentKit.ShipBody(shippedFirst, (sku, 1))));
        await _kit.Reported(shippedFirst, f1, new { eventId = Network.Unique("E"), type = "shipped" });
        await _kit.Reported(shippedFirst, f1, new { eventId = Network.Unique("E"), type = "delivered" });
        var refused = await _kit.Post($"/api/v1/orders/{shippedFirst}/cancel", """{ "reason": "changed mind" }""");
        await SecurityTestKit.AssertProblem(refused, HttpStatusCode.Conflict);
        Assert.Contains("shipped", (string?)(await FulfilmentKit.Json(refused))["detail"]);

        var cancelledFirst = Network.Unique("ORD");
        var f2 = Id(await _kit.Place(FulfilmentKit.ShipBody(cancelledFirst, (sku, 1))));
        Assert.Equal(HttpStatusCode.OK, (await _kit.Post($"/api/v1/orders/{cancelledFirst}/cancel", """{ "reason": "changed mind" }""")).StatusCode);
        Assert.Equal(3, (int)(await _kit.Level(warehouse, sku))["available"]!);

        // The parcel left anyway: the fact is recorded, the cancellation reversed, and the units leave the books.
        var late = await _kit.Reported(cancelledFirst, f2, new { eventId = Network.Unique("E"), type = "shipped", trackingNumber = "LATE" });
        Assert.Equal("shipped", (string?)late["status"]);
        var order = await _kit.Order(cancelledFirst);
        Assert.Equal(("shipped", 0, 1), ((string?)order["status"], (int)Line(order)["cancelledQuantity"]!, (int)Line(order)["shippedQuantity"]!));
        Assert.Contains("order.cancellationReversed", await _kit.EventTypes(cancelledFirst, 5));
        var level = await _kit.Level(warehouse, sku);
        Assert.Equal((2, 0, 2), ((int)level["onHand"]!, (int)level["allocated"]!, (int)level["available"]!));
        await _kit.AssertConsistent(shippedFirst, (warehouse, sku));
        await _kit.AssertConsistent(cancelledFirst, (warehouse, sku));
    }

    [Fact]
    public async Task A_pickup_is_collected_with_its_code_by_its_own_boutique_only()
    {
        var boutique = await _kit.Location("boutique");
        var elsewhere = await _kit.Location("boutique", offset: 2);
        var sku = Network.Unique("BAG");
        await _kit.Stock(boutique, sku, 2);
        await _kit.WaitForAvailability(sku, 2);
        var (storeKey, _) = await SecurityTestKit.Store(_admin, boutique);
        var (otherKey, _) = await SecurityTestKit.Store(_admin, elsewhere);
        var store = fixture.As(storeKey);
        var orderId = Network.Unique("ORD");
        var placed = await _kit.Place(FulfilmentKit.PickupBody(orderId, boutique, (sku, 1)));
        Assert.Equal("pickup", (string?)placed["fulfilments"]![0]!["mode"]);
        var f1 = Id(placed);

        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = Network.Unique("E"), type = "accepted" }, fixture.As(otherKey)), HttpStatusCode.Forbidden, missing: "location");
        var ready = await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "readyForPickup" }, store);
        var code = (string)ready["pickupCode"]!;
        Assert.Matches("^[0-9]{6}$", code);
        Assert.NotNull(ready["collectBy"]);
        var order = await _kit.Order(orderId);
        Assert.Equal(("readyForPickup", code), ((string?)order["status"], (string?)order["fulfilments"]![0]!["pickupCode"]));

        var wrong = code == "000000" ? "111111" : "000000";
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = Network.Unique("E"), type = "collected", pickupCode = wrong }, store), HttpStatusCode.Conflict, field: "pickupCode");
        await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "collected", pickupCode = code }, store);

        order = await _kit.Order(orderId);
        Assert.Equal(("completed", 1), ((string?)order["status"], (int)Line(order)["collectedQuantity"]!));
        var level = await _kit.Level(boutique, sku);
        Assert.Equal((1, 0), ((int)level["onHand"]!, (int)level["allocated"]!));
        var types = await _kit.EventTypes(orderId, 6);
        Assert.Contains("fulfilment.readyForPickup", types);
        Assert.Contains("order.completed", types);
        await _kit.AssertConsistent(orderId, (boutique, sku));
    }

    [Fact]
    public async Task A_transfer_is_received_by_the_pickup_boutique_never_sold_there_and_collected()
    {
        var warehouse = await _kit.Location("warehouse", offset: 0.3);
        var boutique = await _kit.Location("boutique");
        var sku = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, 1);
        await _kit.Stock(boutique, sku, 0);
        await _kit.WaitForAvailability(sku, 1);
        var (storeKey, _) = await SecurityTestKit.Store(_admin, boutique);
        var store = fixture.As(storeKey);
        var orderId = Network.Unique("ORD");
        var placed = await _kit.Place(FulfilmentKit.PickupBody(orderId, boutique, (sku, 1)));
        Assert.Equal(("transfer", warehouse), ((string?)placed["fulfilments"]![0]!["mode"], (string?)placed["fulfilments"]![0]!["locationId"]));
        var f1 = Id(placed);

        // The boutique may not ship the warehouse's parcel, but it receives it.
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, f1, new { eventId = Network.Unique("E"), type = "shipped" }, store), HttpStatusCode.Forbidden, missing: "location");
        await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "shipped", carrier = "Van", trackingNumber = "T-1" });
        Assert.Equal(0, (int)(await _kit.Level(warehouse, sku))["onHand"]!);
        var queue = await FulfilmentKit.Json(await store.GetAsync($"/api/v1/locations/{boutique}/fulfilments"));
        Assert.Contains(queue["items"]!.AsArray(), t => (string?)t!["orderId"] == orderId && (bool)t["incoming"]!);

        await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "received" }, store);
        var level = await _kit.Level(boutique, sku);
        Assert.Equal((1, 1, 0), ((int)level["onHand"]!, (int)level["allocated"]!, (int)level["available"]!));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, (int)(await FulfilmentKit.Json(await _admin.GetAsync($"/api/v1/availability/{sku}")))["available"]!);

        var ready = await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "readyForPickup" }, store);
        await _kit.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "collected", pickupCode = (string)ready["pickupCode"]! }, store);
        var order = await _kit.Order(orderId);
        Assert.Equal("completed", (string?)order["status"]);
        level = await _kit.Level(boutique, sku);
        Assert.Equal((0, 0), ((int)level["onHand"]!, (int)level["allocated"]!));
        await _kit.AssertConsistent(orderId, (warehouse, sku), (boutique, sku));
    }
}
