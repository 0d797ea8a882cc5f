using System.Net;
using System.Text.Json.Nodes;
using Oms.Tests.Fulfilment;
using Oms.Tests.Infrastructure;
using Oms.Tests.Security;

namespace Oms.Tests.Returns;

[Collection("returns")]
public sealed class ReturnApiTests(ReturnsFixture fixture)
{
    private readonly ReturnsKit _kit = fixture.Kit;
    private readonly FulfilmentKit _f = fixture.Kit.Fulfilment;
    private readonly HttpClient _admin = fixture.Admin;

    [Fact]
    public async Task A_return_to_the_warehouse_is_authorised_once_received_back_on_hand_and_refunded_when_accounting_says_so()
    {
        var (orderId, warehouse, sku) = await _kit.Delivered(2);
        var key = Network.Unique("RK");
        var body = new { lines = ReturnsKit.Lines(("1", 1, "doesNotFit")), method = "shipBack", locationId = warehouse, note = "too small" };
        var authorised = await _kit.Authorised(orderId, body, key);
        var returnId = (string)authorised["returnId"]!;
        Assert.Equal(("authorised", "shipBack", warehouse), ((string?)authorised["status"], (string?)authorised["method"], (string?)authorised["locationId"]));
        Assert.Equal((1200m, "EUR"), ((decimal)authorised["refund"]!["estimated"]!, (string?)authorised["refund"]!["currency"]));
        Assert.True(DateTimeOffset.Parse((string)authorised["expiresAt"]!) > DateTimeOffset.UtcNow);

        // The same key and body is the same return; the same key with another body is refused, and nothing changes.
        var again = await _kit.Authorise(orderId, body, key);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(returnId, (string?)(await ReturnsKit.Json(again))["returnId"]);
        await ReturnsKit.Problem(await _kit.Authorise(orderId, body with { note = "other" }, key), HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        Assert.Single((await _f.Order(orderId))["returns"]!.AsArray());

        var before = await _f.Level(warehouse, sku);
        var receipt = new { eventId = Network.Unique("E"), locationId = warehouse, lines = new[] { new { lineId = "1", quantity = 1, condition = "resellable" } } };
        var received = await _kit.Received(returnId, receipt);
        Assert.Equal("received", (string?)received["status"]);
        Assert.Equal(1, (int)received["lines"]![0]!["received"]!);
        Assert.Equal(HttpStatusCode.OK, (await _kit.Receive(returnId, receipt)).StatusCode);
        var after = await _f.Level(warehouse, sku);
        Assert.Equal(((int)before["onHand"]! + 1, (int)before["available"]! + 1), ((int)after["onHand"]!, (int)after["available"]!));
        var ledger = await ReturnsKit.Json(await _admin.GetAsync($"/api/v1/locations/{warehouse}/stock/{sku}/ledger"));
        var movement = Assert.Single(ledger["entries"]!.AsArray(), e => (string?)e!["kind"] == "returned");
        Assert.Equal(returnId, (string?)movement!["reference"]);

        // Received again with the rest already in: nothing more is expected.
        await ReturnsKit.Problem(await _kit.Receive(returnId, receipt with { eventId = Network.Unique("E") }), HttpStatusCode.Conflict, "returnId");

        var order = await _f.Order(orderId);
        var refund = Assert.Single(order["refunds"]!.AsArray())!;
        Assert.Equal((1200m, "requested", "return", returnId), ((decimal)refund["amount"]!, (string?)refund["status"], (string?)refund["reason"], (string?)refund["returnId"]));
        var refundId = (string)refund["refundId"]!;
        var answer = new { eventId = Network.Unique("E"), type = "succeeded", reference = "psp-123" };
        var settled = await ReturnsKit.Json(await _kit.RefundEvent(refundId, answer));
        Assert.Equal(("succeeded", "psp-123"), ((string?)settled["status"], (string?)settled["reference"]));
        Assert.Equal(HttpStatusCode.OK, (await _kit.RefundEvent(refundId, answer)).StatusCode);
        await ReturnsKit.Problem(await _kit.RefundEvent(refundId, new { eventId = Network.Unique("E"), type = "failed" }), HttpStatusCode.Conflict, "type");

        var types = await _f.EventTypes(orderId, 9);
        Assert.Equal(["return.authorised", "return.received", "refund.requested", "refund.succeeded"],
            types.Where(t => t.StartsWith("return.", StringComparison.Ordinal) || t.StartsWith("refund.", StringComparison.Ordinal)));
        var timeline = (await _f.Order(orderId))["timeline"]!.AsArray();
        Assert.Contains(timeline, t => (string?)t!["type"] == "return.authorised" && (string?)t["actor"] != "system");
        await _f.AssertConsistent(orderId, (warehouse, sku));
    }

    [Fact]
    public async Task A_unit_dropped_off_at_a_boutique_is_sellable_there_at_once_and_a_damaged_one_is_quarantined()
    {
        var (orderId, warehouse, sku) = await _kit.Delivered(3);
        var boutique = await _f.Location("boutique", offset: 0.01);
        var authorised = await _kit.Authorised(orderId, new { lines = ReturnsKit.Lines(("1", 3, "changedMind")), method = "dropOff", locationId = boutique });
        var returnId = (string)authorised["returnId"]!;

        var queue = await ReturnsKit.Json(await _admin.GetAsync($"/api/v1/returns?locationId={boutique}"));
        Assert.Equal(returnId, (string?)Assert.Single(queue["items"]!.AsArray())!["returnId"]);

        var partly = await _kit.Received(returnId, new
        {
            eventId = Network.Unique("E"), locationId = boutique,
            lines = new[] { new { lineId = "1", quantity = 1, condition = "resellable" }, new { lineId = "1", quantity = 1, condition = "damaged" } },
        });
        Assert.Equal(("partiallyReceived", 2, 1), ((string?)partly["status"], (int)partly["lines"]![0]!["received"]!, (int)partly["lines"]![0]!["damaged"]!));
        var level = await _f.Level(boutique, sku);
        Assert.Equal((2, 1, 1), ((int)level["onHand"]!, (int)level["quarantined"]!, (int)level["available"]!));
        await Eventually.Until(async () => await ReturnsKit.Json(await _admin.GetAsync($"/api/v1/availability/{sku}")),
            v => v["locations"]!.AsArray().Any(l => (string?)l!["locationId"] == boutique && (int)l["available"]! == 1), TimeSpan.FromSeconds(10),
            "the resold unit shows at the boutique");

        var rest = await _kit.Received(returnId, new { eventId = Network.Unique("E"), locationId = boutique, lines = new[] { new { lineId = "1", quantity = 1, condition = "resellable" } } });
        Assert.Equal("received", (string?)rest["status"]);
        var queued = await ReturnsKit.Json(await _admin.GetAsync($"/api/v1/returns?locationId={boutique}"));
        Assert.Empty(queued["items"]!.AsArray());

        // One refund per receipt, so the customer is not kept waiting for the last parcel.
        var refunds = (await _f.Order(orderId))["refunds"]!.AsArray();
        Assert.Equal([2400m, 1200m], refunds.Select(r => (decimal)r!["amount"]!));
        await _f.AssertConsistent(orderId, (warehouse, sku), (boutique, sku));
    }

    [Fact]
    public async Task The_policy_refuses_with_a_422_naming_the_line_and_the_rule_and_nothing_changes()
    {
        var warehouse = await _f.Location("warehouse");
        var (sku, other) = (Network.Unique("BAG"), Network.Unique("SCARF"));
        await _f.Stock(warehouse, sku, 5);
        await _f.Stock(warehouse, other, 5);
        await _f.WaitForAvailability(other, 5);
        var orderId = Network.Unique("ORD");
        var body = FulfilmentKit.ShipBody(orderId, (sku, 2), (other, 1)).Replace("\"sku\": \"" + other + "\"", "\"sku\": \"" + other + "\", \"finalSale\": true");
        var placed = await _f.Place(body);
        var f1 = (string)placed["fulfilments"]![0]!["fulfilmentId"]!;

        var notYet = await _kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("1", 1, "doesNotFit")), method = "shipBack", locationId = warehouse });
        await AssertRefused(notYet, "lines[0].lineId", "notDelivered");

        await _f.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "shipped" });
        await _f.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "delivered" });
        await AssertRefused(await _kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("2", 1, "doesNotFit")), method = "shipBack", locationId = warehouse }),
            "lines[0].lineId", "finalSale");
        await AssertRefused(await _kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("1", 3, "doesNotFit")), method = "shipBack", locationId = warehouse }),
            "lines[0].quantity", "moreThanReturnable");
        await AssertRefused(await _kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("9", 1, "doesNotFit")), method = "shipBack", locationId = warehouse }),
            "lines[0].lineId", "unknownLine");
        await ReturnsKit.Problem(await _kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("1", 1, "doesNotFit")), method = "dropOff", locationId = warehouse }),
            HttpStatusCode.UnprocessableEntity, "locationId");

        // Bad input is a 400 naming the field, whatever it is.
        await ReturnsKit.Problem(await _kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("1", 1, "bored")), method = "shipBack", locationId = warehouse }),
            HttpStatusCode.BadRequest, "lines[0].reason");
        await ReturnsKit.Problem(await _kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("1", 1, "other")), method = "intercept", locationId = warehouse }),
            HttpStatusCode.BadRequest, "method");
        await ReturnsKit.Problem(await _kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("1", 0, "other")), method = "shipBack", locationId = warehouse }),
            HttpStatusCode.BadRequest, "lines[0].quantity");
        await ReturnsKit.Problem(await _f.Post($"/api/v1/orders/{orderId}/returns", "{}"), HttpStatusCode.BadRequest, "Idempotency-Key");
        await ReturnsKit.Problem(await _kit.Authorise(Network.Unique("NOPE"), new { lines = ReturnsKit.Lines(("1", 1, "other")), method = "shipBack", locationId = warehouse }),
            HttpStatusCode.NotFound, "orderId");
        await ReturnsKit.Problem(await _admin.GetAsync("/api/v1/returns/not-a-return"), HttpStatusCode.BadRequest, "returnId");
        await ReturnsKit.Problem(await _admin.GetAsync("/api/v1/returns"), HttpStatusCode.BadRequest, "locationId");
        Assert.Empty((await _f.Order(orderId))["returns"]!.AsArray());

        // The whole line may come back at once; then nothing more of it may.
        await _kit.Authorised(orderId, new { lines = ReturnsKit.Lines(("1", 2, "damaged")), method = "shipBack", locationId = warehouse });
        await AssertRefused(await _kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("1", 1, "damaged")), method = "shipBack", locationId = warehouse }),
            "lines[0].quantity", "moreThanReturnable");
    }

    [Fact]
    public async Task A_store_key_receives_only_at_its_own_boutique_and_bad_receipts_change_nothing()
    {
        var (orderId, warehouse, sku) = await _kit.Delivered(1);
        var boutique = await _f.Location("boutique", offset: 0.02);
        var elsewhere = await _f.Location("boutique", offset: 0.03);
        var returnId = (string)(await _kit.Authorised(orderId, new { lines = ReturnsKit.Lines(("1", 1, "wrongItem")), method = "dropOff", locationId = boutique }))["returnId"]!;
        var (storeKey, _) = await SecurityTestKit.Store(_admin, boutique);
        var (otherKey, _) = await SecurityTestKit.Store(_admin, elsewhere);
        var line = new[] { new { lineId = "1", quantity = 1, condition = "resellable" } };

        await ReturnsKit.Problem(await _kit.Receive(returnId, new { eventId = Network.Unique("E"), locationId = boutique, lines = line }, fixture.As(otherKey)),
            HttpStatusCode.Forbidden, missing: "location");
        await ReturnsKit.Problem(await _kit.Receive(returnId, new { eventId = Network.Unique("E"), locationId = boutique, lines = new[] { new { lineId = "1", quantity = 2, condition = "resellable" } } }),
            HttpStatusCode.BadRequest, "lines[0].quantity");
        await ReturnsKit.Problem(await _kit.Receive(returnId, new { eventId = Network.Unique("E"), locationId = boutique, lines = new[] { new { lineId = "1", quantity = 1, condition = "wet" } } }),
            HttpStatusCode.BadRequest, "lines[0].condition");
        await ReturnsKit.Problem(await _kit.Receive(returnId + "0", new { eventId = Network.Unique("E"), locationId = boutique, lines = line }),
            HttpStatusCode.NotFound, "returnId");
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync($"/api/v1/locations/{boutique}/stock/{sku}")).StatusCode);

        var read = await ReturnsKit.Json(await fixture.As(storeKey).GetAsync($"/api/v1/returns/{Uri.EscapeDataString(returnId)}"));
        Assert.Equal(returnId, (string?)read["returnId"]);
        var received = await _kit.Received(returnId, new { eventId = Network.Unique("E"), locationId = boutique, lines = line }, fixture.As(storeKey));
        Assert.Equal("received", (string?)received["status"]);

        // The retailer's fault: shipping comes back too, with the unit.
        var refund = Assert.Single((await _f.Order(orderId))["refunds"]!.AsArray())!;
        Assert.Equal(1200m, (decimal)refund["amount"]!);
        await _f.AssertConsistent(orderId, (warehouse, sku), (boutique, sku));
    }

    [Fact]
    public async Task Shipping_is_refunded_with_the_whole_order_and_a_captured_cancellation_is_refunded_an_uncaptured_one_not()
    {
        var shipped = """ "shippingAmount": 25.00, "payment": { "status": "captured" } """;
        var (orderId, warehouse, sku) = await _kit.Delivered(2, extra: shipped);
        var returnId = (string)(await _kit.Authorised(orderId, new { lines = ReturnsKit.Lines(("1", 2, "changedMind")), method = "shipBack", locationId = warehouse }))["returnId"]!;
        await _kit.Received(returnId, new { eventId = Network.Unique("E"), locationId = warehouse, lines = new[] { new { lineId = "1", quantity = 2, condition = "resellable" } } });
        var refund = Assert.Single((await _f.Order(orderId))["refunds"]!.AsArray())!;
        Assert.Equal((2425m, 25m), ((decimal)refund["amount"]!, (decimal)refund["shipping"]!));

        // Cancelled before it left: a captured order is refunded, an authorised one is left to accounting to void.
        foreach (var (payment, refunds) in new[] { ("captured", 1), ("authorised", 0) })
        {
            await _f.Stock(warehouse, sku, 20, sequence: 2 + refunds);
            var cancelled = Network.Unique("ORD");
            await _f.Place(ReturnsKit.With(FulfilmentKit.ShipBody(cancelled, (sku, 2)), $$""" "payment": { "status": "{{payment}}" } """));
            var response = await _f.Post($"/api/v1/orders/{cancelled}/cancel", """{ "reason": "changed my mind", "lines": [ { "lineId": "1", "quantity": 1 } ] }""", Network.Unique("CK"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var order = await _f.Order(cancelled);
            Assert.Equal(refunds, order["refunds"]!.AsArray().Count);
            if (refunds == 1)
            {
                Assert.Equal((1200m, "cancellation"), ((decimal)order["refunds"]![0]!["amount"]!, (string?)order["refunds"]![0]!["reason"]));
            }
        }
    }

    [Fact]
    public async Task A_captured_pickup_not_collected_in_time_is_refunded_and_its_unit_is_back_on_sale()
    {
        // One profile day is two seconds here: the parcel waits two seconds at the counter.
        var boutique = await _f.Location("boutique", holdForPickupDays: 1, offset: 0.04);
        var sku = Network.Unique("BAG");
        await _f.Stock(boutique, sku, 1);
        await _f.WaitForAvailability(sku, 1);
        var orderId = Network.Unique("ORD");
        var placed = await _f.Place(ReturnsKit.With(FulfilmentKit.PickupBody(orderId, boutique, (sku, 1)), """ "payment": { "status": "captured" } """));
        await _f.Reported(orderId, (string)placed["fulfilments"]![0]!["fulfilmentId"]!, new { eventId = Network.Unique("E"), type = "readyForPickup" });

        var expired = await _kit.OrderWith(orderId, o => o["refunds"]!.AsArray().Count == 1, "the expired pickup refunded");
        var refund = expired["refunds"]![0]!;
        Assert.Equal((1200m, "pickupExpired", "requested"), ((decimal)refund["amount"]!, (string?)refund["reason"], (string?)refund["status"]));
        Assert.Equal(1, (int)(await _f.Level(boutique, sku))["available"]!);
        Assert.Contains("refund.requested", await _f.EventTypes(orderId, 6));
    }

    [Fact]
    public async Task A_cancel_after_shipment_intercepts_the_parcel_and_its_return_refunds_it()
    {
        var warehouse = await _f.Location("warehouse");
        var sku = Network.Unique("BAG");
        await _f.Stock(warehouse, sku, 4);
        await _f.WaitForAvailability(sku, 4);
        var orderId = Network.Unique("ORD");
        var f1 = (string)(await _f.Place(FulfilmentKit.ShipBody(orderId, (sku, 2))))["fulfilments"]![0]!["fulfilmentId"]!;
        await _f.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "shipped", carrier = "DHL", trackingNumber = "JD9" });

        // A carrier stops a whole parcel: cancelling one of its two units is refused, and nothing changes.
        await ReturnsKit.Problem(await _f.Post($"/api/v1/orders/{orderId}/cancel", """{ "reason": "one only", "lines": [ { "lineId": "1", "quantity": 1 } ] }""", Network.Unique("CK")),
            HttpStatusCode.Conflict, "lines");
        Assert.Empty((await _f.Order(orderId))["returns"]!.AsArray());

        var key = Network.Unique("CK");
        var cancel = await _f.Post($"/api/v1/orders/{orderId}/cancel", """{ "reason": "no longer needed" }""", key);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _f.Post($"/api/v1/orders/{orderId}/cancel", """{ "reason": "no longer needed" }""", key)).StatusCode);
        var order = await _f.Order(orderId);
        var intercept = Assert.Single(order["returns"]!.AsArray())!;
        Assert.Equal(("intercept", "authorised", f1, warehouse), ((string?)intercept["method"], (string?)intercept["status"], (string?)intercept["fulfilmentId"], (string?)intercept["locationId"]));

        var back = await _kit.Received((string)intercept["returnId"]!, new { eventId = Network.Unique("E"), locationId = warehouse, lines = new[] { new { lineId = "1", quantity = 2, condition = "resellable" } } });
        Assert.Equal("received", (string?)back["status"]);
        var done = await _kit.OrderWith(orderId, o => (string?)o["status"] == "cancelled", "the intercepted units cancelled");
        Assert.Equal(2, (int)done["lines"]![0]!["cancelledQuantity"]!);
        Assert.Equal("cancelled", (string?)done["fulfilments"]![0]!["status"]);
        Assert.Equal(2400m, (decimal)Assert.Single(done["refunds"]!.AsArray())!["amount"]!);
        var level = await _f.Level(warehouse, sku);
        Assert.Equal((4, 0, 4), ((int)level["onHand"]!, (int)level["allocated"]!, (int)level["available"]!));

        var types = await _f.EventTypes(orderId, 8);
        Assert.Contains("fulfilment.interceptRequested", types);
        Assert.True(types.ToList().IndexOf("fulfilment.interceptRequested") < types.ToList().IndexOf("return.authorised"));
        Assert.Contains("refund.requested", types);
        await _f.AssertConsistent(orderId, (warehouse, sku));
    }

    [Fact]
    public async Task An_intercept_too_late_fails_on_the_timeline_and_the_customer_may_return_normally()
    {
        var warehouse = await _f.Location("warehouse");
        var sku = Network.Unique("BAG");
        await _f.Stock(warehouse, sku, 2);
        await _f.WaitForAvailability(sku, 2);
        var orderId = Network.Unique("ORD");
        var f1 = (string)(await _f.Place(FulfilmentKit.ShipBody(orderId, (sku, 1))))["fulfilments"]![0]!["fulfilmentId"]!;
        await _f.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "shipped" });
        Assert.Equal(HttpStatusCode.OK, (await _f.Post($"/api/v1/orders/{orderId}/cancel", """{ "reason": "too slow" }""", Network.Unique("CK"))).StatusCode);

        await _f.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "delivered" });
        var order = await _kit.OrderWith(orderId, o => (string?)o["returns"]![0]!["status"] == "cancelled", "the intercept's return withdrawn");
        Assert.Equal("completed", (string?)order["status"]);
        Assert.Contains(order["timeline"]!.AsArray(), t => (string?)t!["type"] == "fulfilment.interceptFailed");

        var normal = await _kit.Authorised(orderId, new { lines = ReturnsKit.Lines(("1", 1, "changedMind")), method = "shipBack", locationId = warehouse });
        Assert.Equal("shipBack", (string?)normal["method"]);
        await ReturnsKit.Problem(await _f.Post($"/api/v1/orders/{orderId}/cancel", """{ "reason": "again" }""", Network.Unique("CK")), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task An_authorisation_nothing_arrives_for_expires_and_frees_its_units_for_another_return()
    {
        var (orderId, warehouse, _) = await _kit.Delivered(1);
        var returnId = (string)(await _kit.Authorised(orderId, new { lines = ReturnsKit.Lines(("1", 1, "other")), method = "shipBack", locationId = warehouse }))["returnId"]!;
        await AssertRefused(await _kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("1", 1, "other")), method = "shipBack", locationId = warehouse }), "lines[0].quantity", "moreThanReturnable");

        var expired = await Eventually.Until(async () => await ReturnsKit.Json(await _admin.GetAsync($"/api/v1/returns/{Uri.EscapeDataString(returnId)}")),
            r => (string?)r["status"] == "expired", TimeSpan.FromSeconds(ReturnsFixture.AuthorisationSeconds + 20), "the authorisation runs out");
        Assert.Equal(0, (int)expired["lines"]![0]!["received"]!);
        Assert.Contains("return.expired", await _f.EventTypes(orderId, 6));
        await _kit.Authorised(orderId, new { lines = ReturnsKit.Lines(("1", 1, "other")), method = "shipBack", locationId = warehouse });
    }

    private static async Task AssertRefused(HttpResponseMessage response, string field, string rule)
    {
        var problem = await ReturnsKit.Problem(response, HttpStatusCode.UnprocessableEntity, field);
        Assert.Equal(rule, (string?)problem["rule"]);
    }
}

[Collection("returns")]
public sealed class ReturnRaceTests(ReturnsFixture fixture)
{
    [Fact]
    public async Task Fifty_returns_and_cancels_racing_on_one_order_never_take_a_unit_twice_nor_refund_more_than_was_paid()
    {
        var f = fixture.Kit.Fulfilment;
        var warehouse = await f.Location("warehouse");
        var sku = Network.Unique("BAG");
        await f.Stock(warehouse, sku, 10);
        await f.WaitForAvailability(sku, 10);
        var orderId = Network.Unique("ORD");
        var placed = await f.Place(ReturnsKit.With(FulfilmentKit.ShipBody(orderId, (sku, 10)), """ "shippingAmount": 30, "payment": { "status": "captured" } """));
        var f1 = (string)placed["fulfilments"]![0]!["fulfilmentId"]!;
        var parcel = await f.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "shipped", lines = new[] { new { lineId = "1", quantity = 6 } } });
        await f.Reported(orderId, (string)parcel["fulfilmentId"]!, new { eventId = Network.Unique("E"), type = "delivered" });

        var random = new Random(14);
        var calls = Enumerable.Range(0, 50).Select(i => i % 2 == 0
            ? fixture.Kit.Authorise(orderId, new { lines = ReturnsKit.Lines(("1", random.Next(1, 4), "doesNotFit")), method = "shipBack", locationId = warehouse })
            : f.Post($"/api/v1/orders/{orderId}/cancel", """{ "reason": "race", "lines": [ { "lineId": "1", "quantity": 1 } ] }""", Network.Unique("CK")));
        var answers = await Task.WhenAll(calls);
        Assert.All(answers, a => Assert.True((int)a.StatusCode is 200 or 201 or 409 or 422, $"{(int)a.StatusCode}: {a.Content.ReadAsStringAsync().Result}"));

        var order = await f.Order(orderId);
        var line = order["lines"]![0]!;
        Assert.Equal((0, 6, 4), ((int)line["allocatedQuantity"]!, (int)line["deliveredQuantity"]!, (int)line["cancelledQuantity"]!));
        var returns = order["returns"]!.AsArray();
        Assert.InRange(returns.Sum(r => (int)r!["lines"]![0]!["quantity"]!), 1, 6);

        // Everything authorised arrives at once, each parcel twice (a retried receipt), and is refunded once.
        await Task.WhenAll(returns.SelectMany(r =>
        {
            var receipt = new { eventId = Network.Unique("E"), locationId = warehouse, lines = new[] { new { lineId = "1", quantity = (int)r!["lines"]![0]!["quantity"]!, condition = "resellable" } } };
            return new[] { fixture.Kit.Receive((string)r["returnId"]!, receipt), fixture.Kit.Receive((string)r["returnId"]!, receipt) };
        }));
        var after = await f.Order(orderId);
        var refunded = after["refunds"]!.AsArray().Sum(r => (decimal)r!["amount"]!);
        var returned = after["returns"]!.AsArray().Sum(r => (int)r!["lines"]![0]!["received"]!);
        Assert.True(refunded <= 10 * 1200m + 30m, $"refunded {refunded}");
        Assert.Equal(4 * 1200m + returned * 1200m + (returned == 6 ? 30m : 0m), refunded);
        var level = await f.Level(warehouse, sku);
        Assert.Equal((4 + returned, 0), ((int)level["onHand"]!, (int)level["allocated"]!));
        await f.AssertConsistent(orderId, (warehouse, sku));
    }
}

[Collection("returns")]
public sealed class ExchangeApiTests(ReturnsFixture fixture)
{
    private readonly ReturnsKit _kit = fixture.Kit;
    private readonly FulfilmentKit _f = fixture.Kit.Fulfilment;

    private async Task<(string OrderId, string Warehouse, string Sku, string Size)> DeliveredWithAnotherSize(int spare)
    {
        var (orderId, warehouse, sku) = await _kit.Delivered(1);
        var size = Network.Unique("BAG-L");
        if (spare > 0)
        {
            await _f.Stock(warehouse, size, spare);
            await _f.WaitForAvailability(size, spare);
        }

        return (orderId, warehouse, sku, size);
    }

    private Task<HttpResponseMessage> Exchange(string orderId, object body, string? key = null) =>
        _f.Post($"/api/v1/orders/{orderId}/exchanges", System.Text.Json.JsonSerializer.Serialize(body), key ?? Network.Unique("XK"));

    private static object Swap(string size, decimal price, string mode, string warehouse) => new
    {
        lines = new[] { new { lineId = "1", quantity = 1, newSku = size, unitPrice = price, reason = "doesNotFit" } },
        mode, method = "shipBack", locationId = warehouse,
    };

    [Fact]
    public async Task An_advance_exchange_ships_the_replacement_now_charges_the_balance_and_its_retry_is_the_same_exchange()
    {
        var (orderId, warehouse, sku, size) = await DeliveredWithAnotherSize(2);
        var key = Network.Unique("XK");
        var created = await Exchange(orderId, Swap(size, 1250m, "advance", warehouse), key);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var exchange = await ReturnsKit.Json(created);
        Assert.Equal(("advance", 50m), ((string?)exchange["mode"], (decimal)exchange["difference"]!));
        var replay = await Exchange(orderId, Swap(size, 1250m, "advance", warehouse), key);
        Assert.Equal((HttpStatusCode.OK, (string?)exchange["exchangeId"]), (replay.StatusCode, (string?)(await ReturnsKit.Json(replay))["exchangeId"]));

        var order = await _f.Order(orderId);
        var newLine = (string)exchange["lines"]![0]!["newLineId"]!;
        var added = order["lines"]!.AsArray().Single(l => (string?)l!["lineId"] == newLine)!;
        Assert.Equal((size, 1), ((string?)added["sku"], (int)added["allocatedQuantity"]!));
        var replacement = order["fulfilments"]!.AsArray().Single(f => (string?)f!["fulfilmentId"] == (string?)exchange["fulfilmentIds"]![0])!;
        Assert.Equal("requested", (string?)replacement["status"]);
        var held = Assert.Single(order["returns"]!.AsArray())!;
        Assert.Equal(((string?)exchange["exchangeId"], "authorised"), ((string?)held["exchangeId"], (string?)held["status"]));
        Assert.Equal(50m, (decimal)Assert.Single(order["charges"]!.AsArray())!["amount"]!);
        Assert.Equal(1, (int)(await _f.Level(warehouse, size))["allocated"]!);

        // The old unit comes back: no refund, the replacement paid for it.
        await _kit.Received((string)held["returnId"]!, new { eventId = Network.Unique("E"), locationId = warehouse, lines = new[] { new { lineId = "1", quantity = 1, condition = "resellable" } } });
        Assert.Empty((await _f.Order(orderId))["refunds"]!.AsArray());
        var types = await _f.EventTypes(orderId, 10);
        Assert.Equal(["exchange.created", "fulfilment.requested", "return.authorised", "charge.requested"],
            types.SkipWhile(t => t != "exchange.created").Where(t => t is "exchange.created" or "fulfilment.requested" or "return.authorised" or "charge.requested"));
        await _f.AssertConsistent(orderId, (warehouse, sku), (warehouse, size));
    }

    [Fact]
    public async Task An_exchange_after_the_return_holds_the_replacement_out_of_every_queue_until_the_return_arrives_and_refunds_the_difference()
    {
        var (orderId, warehouse, sku, size) = await DeliveredWithAnotherSize(1);
        var exchange = await ReturnsKit.Json(await Exchange(orderId, Swap(size, 1000m, "afterReturn", warehouse)));
        var fulfilmentId = (string)exchange["fulfilmentIds"]![0]!;
        var order = await _f.Order(orderId);
        Assert.Equal("onHold", (string?)order["fulfilments"]!.AsArray().Single(f => (string?)f!["fulfilmentId"] == fulfilmentId)!["status"]);
        var queue = await ReturnsKit.Json(await fixture.Admin.GetAsync($"/api/v1/locations/{warehouse}/fulfilments"));
        Assert.DoesNotContain(queue["items"]!.AsArray(), t => (string?)t!["orderId"] == orderId);
        await ReturnsKit.Problem(await _f.Report(orderId, fulfilmentId, new { eventId = Network.Unique("E"), type = "accepted" }), HttpStatusCode.Conflict, "type");
        Assert.Equal((0, 1), ((int)(await _f.Level(warehouse, size))["available"]!, (int)(await _f.Level(warehouse, size))["allocated"]!));

        var returnId = (string)Assert.Single(order["returns"]!.AsArray())!["returnId"]!;
        await _kit.Received(returnId, new { eventId = Network.Unique("E"), locationId = warehouse, lines = new[] { new { lineId = "1", quantity = 1, condition = "resellable" } } });
        var released = await _kit.OrderWith(orderId, o => (string?)o["fulfilments"]!.AsArray().Single(f => (string?)f!["fulfilmentId"] == fulfilmentId)!["status"] == "requested",
            "the replacement is released");
        Assert.Equal((200m, "exchangeDifference"), ((decimal)Assert.Single(released["refunds"]!.AsArray())!["amount"]!, (string?)released["refunds"]![0]!["reason"]));
        await Eventually.Until(async () => await ReturnsKit.Json(await fixture.Admin.GetAsync($"/api/v1/locations/{warehouse}/fulfilments")),
            q => q["items"]!.AsArray().Any(t => (string?)t!["fulfilmentId"] == fulfilmentId && (string?)t["orderId"] == orderId), TimeSpan.FromSeconds(10), "the replacement in the queue");
        await _f.AssertConsistent(orderId, (warehouse, sku), (warehouse, size));
    }

    [Fact]
    public async Task An_exchange_whose_replacement_is_out_of_stock_is_a_409_and_creates_nothing()
    {
        var (orderId, warehouse, _, size) = await DeliveredWithAnotherSize(0);
        var before = await _f.Order(orderId);
        await ReturnsKit.Problem(await Exchange(orderId, Swap(size, 1200m, "advance", warehouse)), HttpStatusCode.Conflict, "lines[0].newSku");
        var after = await _f.Order(orderId);
        Assert.Equal(before["lines"]!.ToJsonString(), after["lines"]!.ToJsonString());
        Assert.Equal(before["fulfilments"]!.ToJsonString(), after["fulfilments"]!.ToJsonString());
        Assert.Empty(after["returns"]!.AsArray());
        Assert.Empty(after["exchanges"]!.AsArray());

        // Nothing was held either: the delivered unit may still come back as an ordinary return.
        await _kit.Authorised(orderId, new { lines = ReturnsKit.Lines(("1", 1, "doesNotFit")), method = "shipBack", locationId = warehouse });
        await ReturnsKit.Problem(await Exchange(orderId, Swap(size, 1200m, "sideways", warehouse)), HttpStatusCode.BadRequest, "mode");
        await ReturnsKit.Problem(await Exchange(orderId, Swap("bad sku", 1200m, "advance", warehouse)), HttpStatusCode.BadRequest, "lines[0].newSku");
    }

    [Fact]
    public async Task An_exchange_the_policy_refuses_is_a_422_and_lets_go_of_the_replacement()
    {
        var (orderId, warehouse, _, size) = await DeliveredWithAnotherSize(1);
        await _kit.Authorised(orderId, new { lines = ReturnsKit.Lines(("1", 1, "doesNotFit")), method = "shipBack", locationId = warehouse });
        var refused = await ReturnsKit.Problem(await Exchange(orderId, Swap(size, 1200m, "advance", warehouse)), HttpStatusCode.UnprocessableEntity, "lines[0].quantity");
        Assert.Equal("moreThanReturnable", (string?)refused["rule"]);
        var level = await _f.Level(warehouse, size);
        Assert.Equal((0, 1), ((int)level["allocated"]!, (int)level["available"]!));
        Assert.Single((await _f.Order(orderId))["lines"]!.AsArray());
    }
}
