using System.Net;
using System.Text.Json.Nodes;
using Oms.Tests.Fulfilment;
using Oms.Tests.Infrastructure;
using Oms.Tests.Security;

namespace Oms.Tests.Orders;

/// <summary>Order search over HTTP on a two-silo cluster: fed by the event feed, scoped by the credential, bad input a 400.</summary>
[Collection("fulfilment")]
public sealed class OrderSearchApiTests(FulfilmentFixture fixture)
{
    private readonly FulfilmentKit _kit = fixture.Kit;
    private readonly HttpClient _admin = fixture.Admin;

    private async Task<JsonNode> Search(string query, HttpClient? as_ = null) =>
        await FulfilmentKit.Json(await (as_ ?? _admin).GetAsync($"/api/v1/orders?{query}"));

    private Task<JsonNode> Until(string query, Func<JsonArray, bool> done, string what, HttpClient? as_ = null) =>
        Eventually.Until(() => Search(query, as_), page => done(page["items"]!.AsArray()), TimeSpan.FromSeconds(15), what);

    [Fact]
    public async Task An_order_is_found_by_email_number_name_and_status_and_follows_its_order_newest_first()
    {
        var warehouse = await _kit.Location("warehouse");
        var sku = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, 5);
        await _kit.WaitForAvailability(sku, 5);
        var email = $"{Network.Unique("ada")}@example.com".ToLowerInvariant();
        var (first, second) = (Network.Unique("ORD"), Network.Unique("ORD"));
        foreach (var id in new[] { first, second })
        {
            await _kit.Place(FulfilmentKit.ShipBody(id, (sku, 1)).Replace("ada@example.com", email));
        }

        var byEmail = await Until($"email={Uri.EscapeDataString(email.ToUpperInvariant())}", items => items.Count == 2, "both orders by email");
        Assert.Equal([second, first], byEmail["items"]!.AsArray().Select(i => (string)i!["orderId"]!));
        var row = byEmail["items"]![0]!;
        Assert.Equal(("allocated", "web", 1200m, "EUR", 1), ((string?)row["status"], (string?)row["channel"], (decimal)row["total"]!, (string?)row["currency"], (int)row["units"]!));
        Assert.Contains(warehouse, row["locationIds"]!.AsArray().Select(l => (string?)l));

        Assert.Equal(first, (string?)Assert.Single((await Search($"q={first}"))["items"]!.AsArray())!["orderId"]);
        Assert.Equal(2, (await Search($"email={email}&name=lovelace"))["items"]!.AsArray().Count);
        Assert.Equal(2, (await Search($"locationId={warehouse}"))["items"]!.AsArray().Count);

        // The row follows the order: shipped, it is found by that status and no longer by the old one.
        await _kit.Reported(first, "F1", new { eventId = Network.Unique("E"), type = "shipped" });
        await Until($"email={email}&status=shipped", items => items.Count == 1, "the shipped order by its new status");
        Assert.Equal(second, (string?)Assert.Single((await Search($"email={email}&status=allocated"))["items"]!.AsArray())!["orderId"]);

        var page = await Search($"email={email}&limit=1");
        Assert.Equal(second, (string?)page["items"]![0]!["orderId"]);
        var next = await Search($"email={email}&limit=1&cursor={Uri.EscapeDataString((string)page["next"]!)}");
        Assert.Equal((first, null), ((string?)next["items"]![0]!["orderId"], (string?)next["next"]));
    }

    [Fact]
    public async Task A_storefront_searches_its_channels_only_and_a_boutique_the_orders_that_touch_it()
    {
        var boutique = await _kit.Location("boutique", offset: 0.05);
        var other = await _kit.Location("boutique", offset: 0.06);
        var sku = Network.Unique("BAG");
        await _kit.Stock(boutique, sku, 3);
        await _kit.WaitForAvailability(sku, 3);
        var email = $"{Network.Unique("grace")}@example.com".ToLowerInvariant();
        var web = Network.Unique("ORD");
        await _kit.Place(FulfilmentKit.PickupBody(web, boutique, (sku, 1)).Replace("ada@example.com", email));
        var app = Network.Unique("ORD");
        await _kit.Place(FulfilmentKit.PickupBody(app, boutique, (sku, 1)).Replace("ada@example.com", email).Replace("\"channel\": \"web\"", "\"channel\": \"app\""));
        await Until($"email={email}", items => items.Count == 2, "both orders");

        var (webKey, _) = await SecurityTestKit.Storefront(_admin, "web");
        Assert.Equal([web], (await Search($"email={email}", fixture.As(webKey)))["items"]!.AsArray().Select(i => (string)i!["orderId"]!));
        var (storeKey, _) = await SecurityTestKit.Store(_admin, boutique);
        Assert.Equal(2, (await Search($"email={email}", fixture.As(storeKey)))["items"]!.AsArray().Count);
        var (otherKey, _) = await SecurityTestKit.Store(_admin, other);
        Assert.Empty((await Search($"email={email}", fixture.As(otherKey)))["items"]!.AsArray());
        var (integrationKey, _) = await SecurityTestKit.Role(_admin, "integration");
        await SecurityTestKit.AssertProblem(await fixture.As(integrationKey).GetAsync($"/api/v1/orders?email={email}"), HttpStatusCode.Forbidden, missing: "role");
    }

    [Fact]
    public async Task Sorted_oldest_first_a_search_pages_the_other_way_and_each_cursor_keeps_its_direction()
    {
        var warehouse = await _kit.Location("warehouse");
        var sku = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, 5);
        await _kit.WaitForAvailability(sku, 5);
        var email = $"{Network.Unique("mary")}@example.com".ToLowerInvariant();
        var ids = new[] { Network.Unique("ORD"), Network.Unique("ORD"), Network.Unique("ORD") };
        foreach (var id in ids)
        {
            await _kit.Place(FulfilmentKit.ShipBody(id, (sku, 1)).Replace("ada@example.com", email));
        }

        await Until($"email={email}", items => items.Count == 3, "the three orders");
        Assert.Equal(ids.Reverse(), (await Search($"email={email}&sort=newest"))["items"]!.AsArray().Select(i => (string)i!["orderId"]!));

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Search($"email={email}&sort=oldest&limit=2" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            seen.AddRange(page["items"]!.AsArray().Select(i => (string)i!["orderId"]!));
            cursor = (string?)page["next"];
        }
        while (cursor is not null);

        Assert.Equal(ids, seen);

        // A cursor of one direction read in the other would skip or repeat orders.
        var oldest = (string)(await Search($"email={email}&sort=oldest&limit=1"))["next"]!;
        await SecurityTestKit.AssertProblem(await _admin.GetAsync($"/api/v1/orders?email={email}&cursor={Uri.EscapeDataString(oldest)}"),
            HttpStatusCode.BadRequest, field: "cursor");
        var newest = (string)(await Search($"email={email}&limit=1"))["next"]!;
        await SecurityTestKit.AssertProblem(await _admin.GetAsync($"/api/v1/orders?email={email}&sort=oldest&cursor={Uri.EscapeDataString(newest)}"),
            HttpStatusCode.BadRequest, field: "cursor");
    }

    [Theory]
    [InlineData("sort=asc", "sort")]
    [InlineData("sort=Oldest", "sort")]
    [InlineData("sort=", "sort")]
    [InlineData("sort=oldest&sort=newest", "sort")]
    [InlineData("limit=1&limit=2", "limit")]
    [InlineData("email=a@example.com&email=b@example.com", "email")]
    [InlineData("email=not-an-email", "email")]
    [InlineData("status=lost", "status")]
    [InlineData("status=pending", "status")]
    [InlineData("channel=fax", "channel")]
    [InlineData("needsAttention=maybe", "needsAttention")]
    [InlineData("createdFrom=yesterday", "createdFrom")]
    [InlineData("createdFrom=2026-12-02T00:00:00Z&createdTo=2026-12-01T00:00:00Z", "createdTo")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("cursor=abc", "cursor")]
    [InlineData("customerId=a%20b", "customerId")]
    [InlineData("q=%01", "q")]
    public async Task Bad_input_is_a_400_naming_the_field(string query, string field)
    {
        await SecurityTestKit.AssertProblem(await _admin.GetAsync($"/api/v1/orders?{query}"), HttpStatusCode.BadRequest, field: field);
    }

    [Fact]
    public async Task A_rebuild_projects_the_feed_again_and_ends_where_it_was()
    {
        var warehouse = await _kit.Location("warehouse");
        var sku = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, 2);
        await _kit.WaitForAvailability(sku, 2);
        var orderId = Network.Unique("ORD");
        await _kit.Place(FulfilmentKit.ShipBody(orderId, (sku, 1)));
        await Until($"q={orderId}", items => items.Count == 1, "the order");

        Assert.Equal(HttpStatusCode.Accepted, (await _admin.PostAsync("/api/v1/order-search/rebuild", null)).StatusCode);
        var again = await Until($"q={orderId}", items => items.Count == 1, "the order after the rebuild");
        Assert.Equal("allocated", (string?)again["items"]![0]!["status"]);
        var (careKey, _) = await SecurityTestKit.Role(_admin, "care");
        await SecurityTestKit.AssertProblem(await fixture.As(careKey).PostAsync("/api/v1/order-search/rebuild", null), HttpStatusCode.Forbidden, missing: "role");
    }
}
