using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Security.SecurityTestKit;

namespace Oms.Tests.Security;

/// <summary>
/// A bound credential acts only within its channels or boutiques: another channel's order does not exist for it,
/// another boutique's stock is refused by name, and what it does is recorded as done by its key.
/// </summary>
[Collection("api")]
public sealed class ScopeTests(ApiFixture fixture)
{
    private static IEnumerable<string> Actors(JsonNode order) => order["timeline"]!.AsArray().Select(e => (string)e!["actor"]!);

    private static async Task<JsonArray> Ledger(HttpClient reader, string locationId, string sku)
    {
        var response = await reader.GetAsync($"/api/v1/locations/{locationId}/stock/{sku}/ledger");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Json(response))["entries"]!.AsArray();
    }

    [Fact]
    public async Task A_storefront_key_cannot_read_release_or_check_out_another_keys_reservation()
    {
        await using var api = ApiFixture.AttachedTo(fixture.Cluster);
        using var admin = api.CreateAdminClient();
        var (warehouse, sku) = await Stocked(admin, 10);
        var (webKey, webKeyId) = await Storefront(admin, "web");
        var (appKey, _) = await Storefront(admin, "app", "web");
        using var web = api.As(webKey);
        using var other = api.As(appKey);
        var reservation = Network.Unique("CHK");
        var created = await web.PostAsJsonAsync("/api/v1/reservations",
            new { reservationId = reservation, lines = new[] { new { sku, locationId = warehouse, quantity = 1 } }, ttlSeconds = 600 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"key:{webKeyId}", (string?)(await Json(created))["owner"]);

        // Another storefront key, even one for the same channel: the basket does not exist for it.
        await AssertProblem(await other.GetAsync($"/api/v1/reservations/{reservation}"), HttpStatusCode.NotFound, field: "reservationId");
        await AssertProblem(await other.DeleteAsync($"/api/v1/reservations/{reservation}"), HttpStatusCode.NotFound, field: "reservationId");
        await AssertProblem(await PlaceOrder(other, "web", sku, "C-OTHER", $",\"reservationId\":\"{reservation}\""), HttpStatusCode.Conflict, field: "reservationId");
        // Replaying the creation under another key is a conflict, not a way in.
        var replay = await other.PostAsJsonAsync("/api/v1/reservations",
            new { reservationId = reservation, lines = new[] { new { sku, locationId = warehouse, quantity = 1 } }, ttlSeconds = 600 });
        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);

        var level = await Json(await admin.GetAsync($"/api/v1/locations/{warehouse}/stock/{sku}"));
        Assert.Equal((1, 0), ((int)level["reserved"]!, (int)level["allocated"]!));
        Assert.Equal("held", (string?)(await Json(await web.GetAsync($"/api/v1/reservations/{reservation}")))["status"]);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/reservations/{reservation}")).StatusCode);

        // Its own key checks it out.
        var order = await PlacedOrderId(web, "web", sku, "C-OWNER", $",\"reservationId\":\"{reservation}\"");
        Assert.Equal("consumed", (string?)(await Json(await web.GetAsync($"/api/v1/reservations/{reservation}")))["status"]);
        Assert.NotNull(order);
    }

    [Fact]
    public async Task A_storefront_key_knows_only_the_orders_of_its_own_channels()
    {
        await using var api = ApiFixture.AttachedTo(fixture.Cluster);
        using var admin = api.CreateAdminClient();
        var (warehouse, sku) = await Stocked(admin, 10);
        var (webKey, webKeyId) = await Storefront(admin, "web");
        var (appKey, _) = await Storefront(admin, "app");
        using var web = api.As(webKey);
        using var app = api.As(appKey);
        var customer = Network.Unique("C");

        var webOrder = await PlacedOrderId(web, "web", sku, customer);
        var appOrder = await PlacedOrderId(app, "app", sku, customer);

        // Another channel's order answers exactly as an id that was never used.
        var unknownId = "ORD-" + Guid.NewGuid().ToString("N")[..24].ToUpperInvariant();
        var foreign = await Json(await web.GetAsync($"/api/v1/orders/{appOrder}"));
        var unknown = await Json(await web.GetAsync($"/api/v1/orders/{unknownId}"));
        Assert.Equal((404, 404), ((int?)foreign["status"], (int?)unknown["status"]));
        Assert.Equal((string?)unknown["title"], (string?)foreign["title"]);
        Assert.Equal(((string?)unknown["detail"])!.Replace(unknownId, appOrder), (string?)foreign["detail"]);
        Assert.Equal(unknown["errors"]!.AsObject().Select(e => e.Key), foreign["errors"]!.AsObject().Select(e => e.Key));
        await AssertProblem(await PostJson(web, $"/api/v1/orders/{appOrder}/cancel", """{"reason":"not mine"}"""), HttpStatusCode.NotFound, field: "orderId");

        // Notes are not a storefront's at all: refused by role, whichever order, so existence is not revealed either.
        await AssertProblem(await web.PostAsJsonAsync($"/api/v1/orders/{appOrder}/notes", new { text = "hello" }), HttpStatusCode.Forbidden, missing: "role");
        await AssertProblem(await web.PostAsJsonAsync($"/api/v1/orders/{webOrder}/notes", new { text = "hello" }), HttpStatusCode.Forbidden, missing: "role");

        var webList = await Json(await web.GetAsync($"/api/v1/customers/{customer}/orders"));
        Assert.Equal([webOrder], webList["orders"]!.AsArray().Select(o => (string)o!["orderId"]!));
        var appList = await Json(await app.GetAsync($"/api/v1/customers/{customer}/orders"));
        Assert.Equal([appOrder], appList["orders"]!.AsArray().Select(o => (string)o!["orderId"]!));
        var adminList = await Json(await admin.GetAsync($"/api/v1/customers/{customer}/orders"));
        Assert.Equal(2, adminList["orders"]!.AsArray().Count);

        // Each key acts on its own.
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync($"/api/v1/orders/{webOrder}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync($"/api/v1/orders/{appOrder}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync($"/api/v1/orders/{webOrder}")).StatusCode);
        var cancelled = await PostJson(web, $"/api/v1/orders/{webOrder}/cancel", """{"reason":"changed mind"}""");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var cancelledOrder = await Json(cancelled);
        Assert.Equal("cancelled", (string?)cancelledOrder["status"]);

        // The refused cancellation changed nothing; every event of the web order is the web key's.
        Assert.Equal("allocated", (string?)(await Json(await admin.GetAsync($"/api/v1/orders/{appOrder}")))["status"]);
        Assert.Equal(["received", "allocated", "cancelled"], cancelledOrder["timeline"]!.AsArray().Select(e => (string)e!["type"]!));
        Assert.All(Actors(cancelledOrder), a => Assert.Equal($"key:{webKeyId}", a));

        var ledger = await Ledger(admin, warehouse, sku);
        Assert.Equal("bootstrap", (string?)ledger[0]!["actor"]);
        Assert.Contains(ledger, e => (string?)e!["actor"] == $"key:{webKeyId}" && ((string?)e["reference"])!.Contains(webOrder));
    }

    [Fact]
    public async Task A_store_key_is_refused_at_another_boutique_and_acts_at_its_own()
    {
        await using var api = ApiFixture.AttachedTo(fixture.Cluster);
        using var admin = api.CreateAdminClient();
        var (a, b) = (await Boutique(admin), await Boutique(admin));
        var sku = Network.Unique("SKU");
        await StockAt(admin, a, sku, 5);
        await StockAt(admin, b, sku, 5);
        var (storeKey, storeKeyId) = await Store(admin, a);
        var (integrationKey, _) = await Role(admin, "integration");
        using var store = api.As(storeKey);
        using var integration = api.As(integrationKey);

        async Task<HttpResponseMessage[]> Everything(string at) =>
        [
            await store.GetAsync($"/api/v1/locations/{at}/stock/{sku}"),
            await store.GetAsync($"/api/v1/locations/{at}/stock/{sku}/ledger"),
            await store.PutAsJsonAsync($"/api/v1/locations/{at}/stock", new { sequence = 2, items = new[] { new { sku, onHand = 7 } } }),
            await store.PostAsJsonAsync("/api/v1/stock/adjustments", new { adjustmentId = Network.Unique("ADJ"), locationId = at, sku, delta = -1, reason = "damaged" }),
            await store.PostAsJsonAsync($"/api/v1/locations/{at}/stock/{sku}/holds", new { holdId = "H-1", quantity = 1 }),
            await store.GetAsync($"/api/v1/locations/{at}/stock/{sku}/holds/H-1"),
            await store.DeleteAsync($"/api/v1/locations/{at}/stock/{sku}/holds/H-1"),
            await store.GetAsync($"/api/v1/boutiques/{at}/stock"),
            await store.GetAsync($"/api/v1/locations/{at}"),
        ];

        foreach (var refused in await Everything(b))
        {
            await AssertProblem(refused, HttpStatusCode.Forbidden, missing: "location");
        }

        // Nothing reached B: its figure and ledger are what the admin set.
        var bLevel = await Json(await integration.GetAsync($"/api/v1/locations/{b}/stock/{sku}"));
        Assert.True(bLevel["onHand"] is not null, bLevel.ToJsonString());
        Assert.Equal((5, 5), ((int)bLevel["onHand"]!, (int)bLevel["available"]!));
        Assert.Single(await Ledger(integration, b, sku));

        var allowed = await Everything(a);
        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK],
            allowed.Select(r => r.StatusCode));

        var listed = await Json(await store.GetAsync("/api/v1/locations"));
        Assert.Equal([a], listed["locations"]!.AsArray().Select(l => (string)l!["locationId"]!));

        // The admin's snapshot, then the store key's snapshot, adjustment, hold and release, each under its actor.
        var ledger = await Ledger(integration, a, sku);
        Assert.Equal("bootstrap", (string?)ledger[0]!["actor"]);
        Assert.True(ledger.Count >= 5, ledger.ToJsonString());
        Assert.All(ledger.Skip(1), e => Assert.Equal($"key:{storeKeyId}", (string?)e!["actor"]));
    }

    [Fact]
    public async Task A_store_key_places_store_orders_at_its_boutique_and_care_places_care_orders()
    {
        await using var api = ApiFixture.AttachedTo(fixture.Cluster);
        using var admin = api.CreateAdminClient();
        var (warehouse, sku) = await Stocked(admin, 10);
        var (a, b) = (await Boutique(admin), await Boutique(admin));
        var (storeKey, storeKeyId) = await Store(admin, a);
        var (otherStoreKey, _) = await Store(admin, b);
        var (careKey, careKeyId) = await Role(admin, "care");
        using var store = api.As(storeKey);
        using var otherStore = api.As(otherStoreKey);
        using var care = api.As(careKey);
        var customer = Network.Unique("C");

        var placed = await PlaceOrder(store, "store", sku, customer);
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var order = await Json(placed);
        var orderId = (string)order["orderId"]!;
        Assert.Equal(a, (string?)order["storeLocationId"]);
        Assert.All(Actors(order), actor => Assert.Equal($"key:{storeKeyId}", actor));

        var read = await store.GetAsync($"/api/v1/orders/{orderId}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var noted = await store.PostAsJsonAsync($"/api/v1/orders/{orderId}/notes", new { text = "Collected the receipt.", author = "Léa" });
        Assert.Equal(HttpStatusCode.OK, noted.StatusCode);
        var note = (await Json(noted))["timeline"]!.AsArray().Last()!;
        Assert.Equal(("note", $"key:{storeKeyId}", "Léa"), ((string?)note["type"], (string?)note["actor"], (string?)note["author"]));

        // Another boutique's key does not know of it.
        await AssertProblem(await otherStore.GetAsync($"/api/v1/orders/{orderId}"), HttpStatusCode.NotFound, field: "orderId");
        await AssertProblem(await otherStore.PostAsJsonAsync($"/api/v1/orders/{orderId}/notes", new { text = "x" }), HttpStatusCode.NotFound, field: "orderId");
        await AssertProblem(await PostJson(otherStore, $"/api/v1/orders/{orderId}/cancel", """{"reason":"x"}"""), HttpStatusCode.NotFound, field: "orderId");

        // Only channel store, only at its boutiques.
        await AssertProblem(await PlaceOrder(store, "web", sku, customer), HttpStatusCode.Forbidden, missing: "channel", field: "channel");
        await AssertProblem(await PlaceOrder(store, "store", sku, customer, $",\"storeLocationId\":\"{b}\""), HttpStatusCode.Forbidden, missing: "location", field: "storeLocationId");

        // Care places care orders only, and sees every channel.
        var careOrder = await PlaceOrder(care, "care", sku, customer);
        Assert.Equal(HttpStatusCode.Created, careOrder.StatusCode);
        Assert.All(Actors(await Json(careOrder)), actor => Assert.Equal($"key:{careKeyId}", actor));
        await AssertProblem(await PlaceOrder(care, "web", sku, customer), HttpStatusCode.Forbidden, missing: "channel", field: "channel");
        await AssertProblem(await PlaceOrder(care, "store", sku, customer), HttpStatusCode.Forbidden, missing: "channel");
        Assert.Equal(HttpStatusCode.OK, (await care.GetAsync($"/api/v1/orders/{orderId}")).StatusCode);

        // The allocation at the warehouse is recorded under the key that placed the order.
        var ledger = await Ledger(admin, warehouse, sku);
        Assert.Contains(ledger, e => (string?)e!["actor"] == $"key:{storeKeyId}" && ((string?)e["reference"])!.Contains(orderId));
        Assert.Contains(ledger, e => (string?)e!["actor"] == $"key:{careKeyId}");
    }
}
