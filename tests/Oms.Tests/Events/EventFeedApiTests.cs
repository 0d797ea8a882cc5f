using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Security.SecurityTestKit;

namespace Oms.Tests.Events;

/// <summary>The feed over HTTP, on the in-memory default: what each change emits, and what a replay or refusal does not.</summary>
[Collection("api")]
public sealed class EventFeedApiTests(ApiFixture fixture)
{
    private HttpClient Admin => fixture.Http;

    [Fact]
    public async Task An_orders_life_emits_one_event_per_change_in_sequence_and_replays_emit_nothing()
    {
        var (_, sku) = await Stocked(Admin, 5);
        var key = Network.Unique("KEY");
        var body = OrderBody("web", sku, Network.Unique("CUS")).Replace("\"quantity\": 1", "\"quantity\": 3");
        var placed = await PostJson(Admin, "/api/v1/orders", body, key);
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var orderId = (string)(await Json(placed))["orderId"]!;
        Assert.Equal(HttpStatusCode.OK, (await PostJson(Admin, "/api/v1/orders", body, key)).StatusCode);

        var cancelKey = Network.Unique("KEY");
        var partial = """{ "reason": "customer changed mind", "lines": [ { "lineId": "1", "quantity": 1 } ] }""";
        Assert.Equal(HttpStatusCode.OK, (await PostJson(Admin, $"/api/v1/orders/{orderId}/cancel", partial, cancelKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostJson(Admin, $"/api/v1/orders/{orderId}/cancel", partial, cancelKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Admin.PostAsJsonAsync($"/api/v1/orders/{orderId}/notes", new { text = "called the customer", author = "Eve" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostJson(Admin, $"/api/v1/orders/{orderId}/cancel", """{ "reason": "fraud" }""")).StatusCode);
        // Refused: nothing left to cancel, so nothing is emitted.
        Assert.Equal(HttpStatusCode.Conflict, (await PostJson(Admin, $"/api/v1/orders/{orderId}/cancel", """{ "reason": "again" }""")).StatusCode);

        var events = await OrderEvents(orderId);
        // The location hears of each cancellation through fulfilment.cancelled, just before the order's own event.
        Assert.Equal(["order.placed", "fulfilment.requested", "fulfilment.cancelled", "order.linesCancelled", "order.noteAdded", "fulfilment.cancelled", "order.cancelled"],
            events.Select(e => (string)e["type"]!));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], events.Select(e => (int)e["sequence"]!));
        Assert.All(events, e =>
        {
            Assert.Equal("1.0", (string?)e["specversion"]);
            Assert.Equal($"orders/{orderId}", (string?)e["subject"]);
            Assert.Equal("application/json", (string?)e["datacontenttype"]);
            Assert.Equal(orderId, (string?)e["data"]!["order"]!["orderId"]);
            Assert.True(Guid.TryParse((string?)e["id"], out _));
            Assert.True((long)e["position"]! > 0);
        });
        Assert.Equal("allocated", (string?)events[0]["data"]!["order"]!["status"]);
        Assert.Equal(1, (int)events[3]["data"]!["lines"]![0]!["quantity"]!);
        Assert.Equal("partiallyCancelled", (string?)events[3]["data"]!["order"]!["status"]);
        Assert.Equal("called the customer", (string?)events[4]["data"]!["note"]!["text"]);
        Assert.Equal("cancelled", (string?)events[6]["data"]!["order"]!["status"]);

        // The global feed holds the very same events, in the same order.
        var feed = await Feed($"types=order.*,fulfilment.*&after={(long)events[0]["position"]! - 1}&limit=1000");
        Assert.Equal(events.Select(e => (string)e["id"]!), feed.Where(e => (string?)e["subject"] == $"orders/{orderId}").Select(e => (string)e["id"]!));
    }

    [Fact]
    public async Task A_refused_checkout_emits_nothing()
    {
        var (_, sku) = await Stocked(Admin, 1);
        var before = await Head();
        var refused = await PostJson(Admin, "/api/v1/orders", OrderBody("web", sku, Network.Unique("CUS")).Replace("\"quantity\": 1", "\"quantity\": 2"));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.DoesNotContain(await Feed($"after={before}&types=order.*&limit=1000"), e => (string?)e["data"]?["order"]?["lines"]?[0]?["sku"] == sku);
    }

    [Fact]
    public async Task Stock_speaks_when_its_atp_crosses_zero_or_the_low_threshold_and_not_per_hold()
    {
        var warehouse = Network.Unique("WH");
        Assert.Equal(HttpStatusCode.Created, (await Admin.PutAsJsonAsync($"/api/v1/locations/{warehouse}", new
        {
            name = "Paris DC", type = "warehouse", latitude = 48.85, longitude = 2.35, countryCode = "FR", lowStockThreshold = 3,
        })).StatusCode);
        var sku = Network.Unique("SKU");
        var before = await Head();
        await StockAt(Admin, warehouse, sku, 10);
        for (var i = 0; i < 10; i++)
        {
            var hold = await Admin.PostAsJsonAsync($"/api/v1/locations/{warehouse}/stock/{sku}/holds", new { holdId = $"H{i}", quantity = 1, ttlSeconds = 600 });
            Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await Admin.DeleteAsync($"/api/v1/locations/{warehouse}/stock/{sku}/holds/H0")).StatusCode);

        var events = await Eventually.Until(
            async () => (await Feed($"after={before}&types=stock.*&limit=1000")).Where(e => (string?)e["data"]?["sku"] == sku).ToList(),
            e => e.Count >= 5, TimeSpan.FromSeconds(5), "the crossings reach the feed");
        Assert.Equal(["stock.backInStock", "stock.low", "stock.outOfStock", "stock.backInStock", "stock.low"], events.Select(e => (string)e["type"]!));
        Assert.Equal([1, 2, 3, 4, 5], events.Select(e => (int)e["sequence"]!));
        Assert.All(events, e => Assert.Equal($"stock/{sku}@{warehouse}", (string?)e["subject"]));
        Assert.Equal(3, (int)events[1]["data"]!["available"]!);
        Assert.Equal(0, (int)events[2]["data"]!["available"]!);
        Assert.Equal(1, (int)events[3]["data"]!["available"]!);
        Assert.Equal(3, (int)events[1]["data"]!["lowStockThreshold"]!);
    }

    [Fact]
    public async Task The_network_announces_a_sku_selling_out_online_and_coming_back()
    {
        var (warehouse, sku) = await Stocked(Admin, 1);
        var before = await Head();
        Assert.Equal(HttpStatusCode.Created, (await Admin.PostAsJsonAsync($"/api/v1/locations/{warehouse}/stock/{sku}/holds", new { holdId = "H1", quantity = 1, ttlSeconds = 600 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Admin.DeleteAsync($"/api/v1/locations/{warehouse}/stock/{sku}/holds/H1")).StatusCode);
        var events = await Eventually.Until(
            async () => (await Feed($"after={before}&types=availability.*&limit=1000")).Where(e => (string?)e["data"]?["sku"] == sku).ToList(),
            e => e.Count >= 2, TimeSpan.FromSeconds(5), "the network's crossings reach the feed");
        Assert.Equal(["availability.outOfStock", "availability.backInStock"], events.Select(e => (string)e["type"]!));
        Assert.Equal($"availability/{sku}", (string?)events[0]["subject"]);
        Assert.Equal(0, (int)events[0]["data"]!["available"]!);
        Assert.Equal(1, (int)events[1]["data"]!["available"]!);
    }

    [Fact]
    public async Task A_reservation_left_to_lapse_announces_its_expiry_once()
    {
        var (warehouse, sku) = await Stocked(Admin, 2);
        var reservationId = Network.Unique("RES");
        var before = await Head();
        var created = await Admin.PostAsJsonAsync("/api/v1/reservations", new
        {
            reservationId, ttlSeconds = 1, lines = new[] { new { sku, locationId = warehouse, quantity = 1 } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var events = await Eventually.Until(
            async () => (await Feed($"after={before}&types=reservation.expired&limit=1000")).Where(e => (string?)e["subject"] == $"reservations/{reservationId}").ToList(),
            e => e.Count >= 1, TimeSpan.FromSeconds(15), "the expiry reaches the feed");
        Assert.Equal(1, (int)events.Single()["sequence"]!);
        Assert.Equal(reservationId, (string?)events[0]["data"]!["reservationId"]);

        // Releasing what already lapsed changes nothing, so it announces nothing.
        Assert.Equal(HttpStatusCode.OK, (await Admin.DeleteAsync($"/api/v1/reservations/{reservationId}")).StatusCode);
        Assert.Single(await Feed($"after={before}&types=reservation.expired&limit=1000"), e => (string?)e["subject"] == $"reservations/{reservationId}");
    }

    [Fact]
    public async Task A_long_poll_answers_when_an_event_arrives()
    {
        var warehouse = await Network.Warehouse(Admin);
        var sku = Network.Unique("SKU");
        var head = await Head();
        var poll = Admin.GetAsync($"/api/v1/events?after={head}&wait=20&types=stock.backInStock");
        await Task.Delay(300);
        Assert.False(poll.IsCompleted, "the poll waits while nothing new is there");
        await StockAt(Admin, warehouse, sku, 4);
        var response = await poll.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await Json(response);
        Assert.NotEmpty(page["events"]!.AsArray());
        Assert.True((long)page["next"]! > head);
    }

    [Fact]
    public async Task A_long_poll_with_nothing_new_answers_an_empty_page_after_its_wait()
    {
        var head = await Head();
        var response = await Admin.GetAsync($"/api/v1/events?after={head}&wait=1&types=reservation.expired");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await Json(response);
        Assert.Empty(page["events"]!.AsArray());
        Assert.True((long)page["next"]! >= head);
    }

    [Fact]
    public async Task A_filtered_page_moves_next_past_what_did_not_match()
    {
        var warehouse = await Network.Warehouse(Admin);
        await StockAt(Admin, warehouse, Network.Unique("SKU"), 4);
        var head = await Eventually.Until(Head, h => h > 0, TimeSpan.FromSeconds(5), "the feed has something");
        var page = await Json(await Admin.GetAsync($"/api/v1/events?after=0&types=reservation.expired&limit=1000"));
        Assert.True((long)page["next"]! >= head, "a reader does not rescan events that cannot match");
    }

    [Theory]
    [InlineData("after=-1", "after")]
    [InlineData("after=abc", "after")]
    [InlineData("after=99999999999", "after")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("types=order.shipped", "types")]
    [InlineData("types=nothing.*", "types")]
    [InlineData("types=order.*,,stock.low", "types")]
    [InlineData("wait=31", "wait")]
    [InlineData("wait=-1", "wait")]
    public async Task Bad_feed_queries_are_problems_naming_the_field(string query, string field) =>
        await AssertProblem(await Admin.GetAsync($"/api/v1/events?{query}"), HttpStatusCode.BadRequest, field: field);

    [Fact]
    public async Task Too_many_patterns_are_refused()
    {
        var types = string.Join(',', Enumerable.Repeat("order.*", 51));
        await AssertProblem(await Admin.GetAsync($"/api/v1/events?types={types}"), HttpStatusCode.BadRequest, field: "types");
    }

    [Fact]
    public async Task The_feed_is_for_integrations_and_an_orders_events_for_who_may_see_the_order()
    {
        var (storefront, _) = await Storefront(Admin, "web");
        var (integration, _) = await Role(Admin, "integration");
        await AssertProblem(await fixture.Client(storefront).GetAsync("/api/v1/events"), HttpStatusCode.Forbidden, missing: "role");
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client(integration).GetAsync("/api/v1/events")).StatusCode);

        var (appOnly, _) = await Storefront(Admin, "app");
        var appOrder = await PlacedOrderId(fixture.Client(appOnly), "app", (await Stocked(Admin, 1)).Sku, Network.Unique("CUS"));
        await AssertProblem(await fixture.Client(storefront).GetAsync($"/api/v1/orders/{appOrder}/events"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client(appOnly).GetAsync($"/api/v1/orders/{appOrder}/events")).StatusCode);
    }

    /// <summary>The feed's end as a reader finds it: by paging until a page is short.</summary>
    private async Task<long> Head()
    {
        long after = 0;
        while (true)
        {
            var page = await Json(await Admin.GetAsync($"/api/v1/events?after={after}&limit=1000"));
            var next = (long)page["next"]!;
            if (page["events"]!.AsArray().Count < 1000)
            {
                return next;
            }

            after = next;
        }
    }

    private async Task<List<JsonNode>> Feed(string query)
    {
        var response = await Admin.GetAsync($"/api/v1/events?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await Json(response))["events"]!.AsArray().Select(e => e!)];
    }

    private async Task<List<JsonNode>> OrderEvents(string orderId) =>
        await Eventually.Until(async () =>
        {
            var response = await Admin.GetAsync($"/api/v1/orders/{orderId}/events");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await Json(response))["events"]!.AsArray().Select(e => e!).ToList();
        }, e => e.Count >= 4, TimeSpan.FromSeconds(5), "every event of the order is in the feed");
}
