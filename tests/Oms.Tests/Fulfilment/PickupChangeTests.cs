using System.Net;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;
using Oms.Tests.Security;

namespace Oms.Tests.Fulfilment;

/// <summary>Moving a click-and-collect order to another boutique over HTTP on a two-silo cluster: the stock follows, or nothing moves.</summary>
[Collection("fulfilment")]
public sealed class PickupChangeTests(FulfilmentFixture fixture)
{
    private readonly FulfilmentKit _kit = fixture.Kit;
    private readonly HttpClient _admin = fixture.Admin;

    private static string Body(string locationId, string? reason = "customer moved") =>
        reason is null ? $$"""{ "locationId": "{{locationId}}" }""" : $$"""{ "locationId": "{{locationId}}", "reason": "{{reason}}" }""";

    private Task<HttpResponseMessage> Change(string orderId, string body, HttpClient? as_ = null) =>
        _kit.Post($"/api/v1/orders/{orderId}/pickup-location", body, as_: as_);

    private static JsonNode Fulfilment(JsonNode order, string id) => order["fulfilments"]!.AsArray().Single(f => (string?)f!["fulfilmentId"] == id)!;

    private static (int OnHand, int Allocated, int Available) Figures(JsonNode level) => ((int)level["onHand"]!, (int)level["allocated"]!, (int)level["available"]!);

    [Fact]
    public async Task The_order_moves_to_the_new_boutique_its_stock_follows_and_a_repeat_changes_nothing()
    {
        var old = await _kit.Location("boutique");
        var next = await _kit.Location("boutique", offset: 0.2);
        var sku = Network.Unique("BAG");
        await _kit.Stock(old, sku, 1);
        await _kit.Stock(next, sku, 1);
        await _kit.WaitForAvailability(sku, 2);
        var orderId = Network.Unique("ORD");
        var placed = await _kit.Place(FulfilmentKit.PickupBody(orderId, old, (sku, 1)));
        Assert.Equal(("pickup", old), ((string?)placed["fulfilments"]![0]!["mode"], (string?)placed["fulfilments"]![0]!["locationId"]));
        var (careKey, careId) = await SecurityTestKit.Role(_admin, "care");
        var care = fixture.As(careKey);

        var response = await Change(orderId, Body(next), care);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var moved = await FulfilmentKit.Json(response);
        Assert.Equal(next, (string?)moved["delivery"]!["pickupLocationId"]);
        Assert.Equal("cancelled", (string?)Fulfilment(moved, "F1")["status"]);
        var f2 = Fulfilment(moved, "F2");
        Assert.Equal(("pickup", next, next, "requested"), ((string?)f2["mode"], (string?)f2["locationId"], (string?)f2["pickupLocationId"], (string?)f2["status"]));
        var line = moved["lines"]![0]!;
        Assert.Equal((1, 0), ((int)line["allocatedQuantity"]!, (int)line["cancelledQuantity"]!));
        Assert.Equal("allocated", (string?)moved["status"]);
        var entry = moved["timeline"]!.AsArray().Single(e => (string?)e!["type"] == "pickupLocationChanged")!;
        Assert.Equal($"key:{careId}", (string?)entry["actor"]);
        Assert.Contains($"from {old} to {next}: customer moved", (string?)entry["details"]);

        Assert.Equal((1, 0, 1), Figures(await _kit.Level(old, sku)));
        Assert.Equal((1, 1, 0), Figures(await _kit.Level(next, sku)));

        // A retry (or a second click) to the same boutique is a harmless 200 with the order as it stands.
        var again = await Change(orderId, Body(next), care);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var repeat = await FulfilmentKit.Json(again);
        Assert.Equal(moved["fulfilments"]!.ToJsonString(), repeat["fulfilments"]!.ToJsonString());
        Assert.Equal((1, 1, 0), Figures(await _kit.Level(next, sku)));

        // The new boutique's staff now see it and work it; the old boutique's queue no longer lists it.
        var (storeKey, _) = await SecurityTestKit.Store(_admin, next);
        var store = fixture.As(storeKey);
        Assert.Equal(HttpStatusCode.OK, (await store.GetAsync($"/api/v1/orders/{orderId}")).StatusCode);
        await _kit.Reported(orderId, "F2", new { eventId = Network.Unique("E"), type = "accepted" }, store);
        var oldQueue = await FulfilmentKit.Json(await _admin.GetAsync($"/api/v1/locations/{old}/fulfilments"));
        Assert.DoesNotContain(oldQueue["items"]!.AsArray(), t => (string?)t!["orderId"] == orderId);
        await SecurityTestKit.AssertProblem(await _kit.Report(orderId, "F1", new { eventId = Network.Unique("E"), type = "accepted" }), HttpStatusCode.Conflict, field: "type");

        var types = await _kit.EventTypes(orderId, 6);
        Assert.Equal(["order.placed", "fulfilment.requested", "order.pickupLocationChanged", "fulfilment.cancelled", "fulfilment.requested", "fulfilment.accepted"], types);
        var events = await _kit.OrderEvents(orderId);
        var changed = events["events"]!.AsArray().Single(e => (string?)e!["type"] == "order.pickupLocationChanged")!["data"]!;
        Assert.Equal((old, next, "customer moved"), ((string?)changed["previousLocationId"], (string?)changed["locationId"], (string?)changed["reason"]));
        Assert.Equal(next, (string?)changed["order"]!["delivery"]!["pickupLocationId"]);
        await _kit.AssertConsistent(orderId, (old, sku), (next, sku));
    }

    [Fact]
    public async Task A_transfer_is_sent_to_the_new_boutique_from_the_unit_the_order_already_holds()
    {
        var warehouse = await _kit.Location("warehouse", offset: 0.3);
        var old = await _kit.Location("boutique");
        var next = await _kit.Location("boutique", offset: 0.1);
        var sku = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, 1);
        await _kit.Stock(old, sku, 0);
        await _kit.Stock(next, sku, 0);
        await _kit.WaitForAvailability(sku, 1);
        var orderId = Network.Unique("ORD");
        var placed = await _kit.Place(FulfilmentKit.PickupBody(orderId, old, (sku, 1)));
        Assert.Equal(("transfer", warehouse), ((string?)placed["fulfilments"]![0]!["mode"], (string?)placed["fulfilments"]![0]!["locationId"]));
        await _kit.Reported(orderId, "F1", new { eventId = Network.Unique("E"), type = "accepted" });

        // The warehouse's only unit is this order's: it is not short of itself, and goes to the new counter instead.
        var moved = await FulfilmentKit.Json(await Change(orderId, Body(next, reason: null)));
        var f2 = Fulfilment(moved, "F2");
        Assert.Equal(("transfer", warehouse, next), ((string?)f2["mode"], (string?)f2["locationId"], (string?)f2["pickupLocationId"]));
        Assert.Equal("cancelled", (string?)Fulfilment(moved, "F1")["status"]);
        Assert.Equal((1, 1, 0), Figures(await _kit.Level(warehouse, sku)));

        await _kit.Reported(orderId, "F2", new { eventId = Network.Unique("E"), type = "shipped" });
        await _kit.Reported(orderId, "F2", new { eventId = Network.Unique("E"), type = "received" });
        Assert.Equal((1, 1, 0), Figures(await _kit.Level(next, sku)));
        Assert.Equal((0, 0, 0), Figures(await _kit.Level(old, sku)));
        await _kit.AssertConsistent(orderId, (warehouse, sku), (old, sku), (next, sku));
    }

    [Fact]
    public async Task A_parcel_ready_at_the_counter_stays_and_a_boutique_that_cannot_be_served_changes_nothing()
    {
        var old = await _kit.Location("boutique");
        var empty = await _kit.Location("boutique", offset: 0.2);
        var other = await _kit.Location("boutique", offset: 0.4);
        var sku = Network.Unique("BAG");
        await _kit.Stock(old, sku, 2);
        await _kit.Stock(empty, sku, 0);
        await _kit.WaitForAvailability(sku, 2);

        // Only the old boutique has the SKU, and the profile does not transfer between boutiques: nobody can serve the new one.
        var orderId = Network.Unique("ORD");
        await _kit.Place(FulfilmentKit.PickupBody(orderId, old, (sku, 1)));
        var before = await _kit.Order(orderId);
        var refused = await Change(orderId, Body(empty));
        await SecurityTestKit.AssertProblem(refused, HttpStatusCode.Conflict, field: "locationId");
        Assert.Contains(empty, (string?)(await FulfilmentKit.Json(refused))["detail"]);
        var after = await _kit.Order(orderId);
        Assert.Equal(old, (string?)after["delivery"]!["pickupLocationId"]);
        Assert.Equal(before["fulfilments"]!.ToJsonString(), after["fulfilments"]!.ToJsonString());
        Assert.Equal(before["timeline"]!.AsArray().Count, after["timeline"]!.AsArray().Count);
        Assert.Equal((2, 1, 1), Figures(await _kit.Level(old, sku)));
        Assert.Equal((0, 0, 0), Figures(await _kit.Level(empty, sku)));

        // Once the parcel is set aside at the counter, it is too late to move it.
        var (storeKey, _) = await SecurityTestKit.Store(_admin, old);
        await _kit.Reported(orderId, "F1", new { eventId = Network.Unique("E"), type = "readyForPickup" }, fixture.As(storeKey));
        await _kit.Stock(other, sku, 1);
        var late = await Change(orderId, Body(other));
        await SecurityTestKit.AssertProblem(late, HttpStatusCode.Conflict, field: "orderId");
        Assert.Contains("ready for pickup", (string?)(await FulfilmentKit.Json(late))["detail"]);
        Assert.Equal("readyForPickup", (string?)(await _kit.Order(orderId))["status"]);
        Assert.Equal((2, 1, 1), Figures(await _kit.Level(old, sku)));
        Assert.DoesNotContain("order.pickupLocationChanged", await _kit.EventTypes(orderId, 3));
        await _kit.AssertConsistent(orderId, (old, sku), (empty, sku));
    }

    [Fact]
    public async Task Roles_channels_and_bad_input_are_refused_with_the_field_named_and_nothing_changes()
    {
        var old = await _kit.Location("boutique");
        var next = await _kit.Location("boutique", offset: 0.2);
        var warehouse = await _kit.Location("warehouse", offset: 0.5);
        var sku = Network.Unique("BAG");
        await _kit.Stock(old, sku, 1);
        await _kit.Stock(next, sku, 2);
        await _kit.Stock(warehouse, sku, 1);
        await _kit.WaitForAvailability(sku, 4);
        var orderId = Network.Unique("ORD");
        await _kit.Place(FulfilmentKit.PickupBody(orderId, old, (sku, 1)));
        var shipped = Network.Unique("ORD");
        await _kit.Place(FulfilmentKit.ShipBody(shipped, (sku, 1)));

        var (oldStore, _) = await SecurityTestKit.Store(_admin, old, next);
        await SecurityTestKit.AssertProblem(await Change(orderId, Body(next), fixture.As(oldStore)), HttpStatusCode.Forbidden, missing: "role");
        var (integration, _) = await SecurityTestKit.Role(_admin, "integration");
        await SecurityTestKit.AssertProblem(await Change(orderId, Body(next), fixture.As(integration)), HttpStatusCode.Forbidden, missing: "role");
        // Another channel's order does not exist for this storefront, exactly as an unknown id.
        var (appOnly, _) = await SecurityTestKit.Storefront(_admin, "app");
        await SecurityTestKit.AssertProblem(await Change(orderId, Body(next), fixture.As(appOnly)), HttpStatusCode.NotFound, field: "orderId");

        await SecurityTestKit.AssertProblem(await Change(orderId, """{ "locationId": "" }"""), HttpStatusCode.BadRequest, field: "locationId");
        await SecurityTestKit.AssertProblem(await Change(orderId, """{ "reason": "no boutique" }"""), HttpStatusCode.BadRequest, field: "locationId");
        await SecurityTestKit.AssertProblem(await Change(orderId, Body(next, new string('x', 501))), HttpStatusCode.BadRequest, field: "reason");
        await SecurityTestKit.AssertProblem(await Change(orderId, $$"""{ "locationId": "{{next}}", "reason": "a\u0000b" }"""), HttpStatusCode.BadRequest, field: "reason");
        await SecurityTestKit.AssertProblem(await Change("bad id!", Body(next)), HttpStatusCode.BadRequest, field: "orderId");
        await SecurityTestKit.AssertProblem(await Change(Network.Unique("NOPE"), Body(next)), HttpStatusCode.NotFound, field: "orderId");
        await SecurityTestKit.AssertProblem(await Change(orderId, Body(Network.Unique("NOWHERE"))), HttpStatusCode.UnprocessableEntity, field: "locationId");
        await SecurityTestKit.AssertProblem(await Change(orderId, Body(warehouse)), HttpStatusCode.UnprocessableEntity, field: "locationId");
        await SecurityTestKit.AssertProblem(await Change(shipped, Body(next)), HttpStatusCode.Conflict, field: "orderId");
        var untouched = await _kit.Order(orderId);
        Assert.Equal(old, (string?)untouched["delivery"]!["pickupLocationId"]);
        Assert.Single(untouched["fulfilments"]!.AsArray());

        // The storefront of the order's own channel may move it for the customer.
        var (web, _) = await SecurityTestKit.Storefront(_admin, "web");
        var moved = await Change(orderId, Body(next), fixture.As(web));
        Assert.True(moved.StatusCode == HttpStatusCode.OK, await moved.Content.ReadAsStringAsync());
        Assert.Equal(next, (string?)(await FulfilmentKit.Json(moved))["delivery"]!["pickupLocationId"]);
        await _kit.AssertConsistent(orderId, (old, sku), (next, sku));
    }
}
