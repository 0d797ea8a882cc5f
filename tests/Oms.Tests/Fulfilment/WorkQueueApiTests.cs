using System.Net;
using System.Text.Json.Nodes;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Fulfilment.FulfilmentQueueTests;
using static Oms.Tests.Security.SecurityTestKit;

namespace Oms.Tests.Fulfilment;

/// <summary>GET /api/v1/locations/{locationId}/fulfilments over real HTTP, with real keys of each role.</summary>
[Collection("api")]
public sealed class WorkQueueApiTests(ApiFixture fixture)
{
    private readonly HttpClient _admin = fixture.Http;

    private static string Url(string locationId, string query = "") => $"/api/v1/locations/{locationId}/fulfilments{query}";

    private static IEnumerable<string> Ids(JsonNode page) =>
        page["items"]!.AsArray().Select(t => $"{(string)t!["orderId"]!}/{(string)t["fulfilmentId"]!}");

    /// <returns>A boutique with five fulfilments of three orders, two of them accepted.</returns>
    private async Task<string> SeededBoutique()
    {
        var boutique = await Boutique(_admin);
        var queue = fixture.Grains.GetGrain<IFulfilmentQueueGrain>(boutique);
        await queue.Put("ORD-A", 1, [Entry("ORD-A", "F1", 1), Entry("ORD-A", "F2", 4, FulfilmentStatus.Accepted)]);
        await queue.Put("ORD-B", 1, [Entry("ORD-B", "F1", 2, FulfilmentStatus.ReadyForPickup, FulfilmentMode.Pickup) with { CollectBy = DateTimeOffset.Parse("2026-12-08T09:00:00Z") }]);
        await queue.Put("ORD-C", 1, [Entry("ORD-C", "F1", 3, FulfilmentStatus.Accepted), Entry("ORD-C", "F2", 5, FulfilmentStatus.Shipped, FulfilmentMode.Transfer) with { Incoming = true }]);
        return boutique;
    }

    [Fact]
    public async Task The_queue_is_oldest_first_in_the_apis_json_shape_and_filters_by_status()
    {
        var boutique = await SeededBoutique();

        var response = await _admin.GetAsync(Url(boutique));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await Json(response);
        Assert.Equal(["ORD-A/F1", "ORD-B/F1", "ORD-C/F1", "ORD-A/F2", "ORD-C/F2"], Ids(page));
        Assert.Null(page["next"]?.GetValue<string?>());
        Assert.True(page.AsObject().ContainsKey("next"));

        var pickup = page["items"]![1]!;
        Assert.Equal("pickup", (string?)pickup["mode"]);
        Assert.Equal("readyForPickup", (string?)pickup["status"]);
        Assert.Equal(DateTimeOffset.Parse("2026-12-08T09:00:00Z"), pickup["collectBy"]!.GetValue<DateTimeOffset>());
        Assert.Equal("Ada L.", (string?)pickup["customerName"]);
        Assert.False((bool)pickup["incoming"]!);
        Assert.NotNull(pickup["requestedAt"]);
        Assert.NotNull(pickup["acceptBy"]);
        var line = pickup["lines"]![0]!;
        Assert.Equal(("1", "SKU-F1", 1), ((string)line["lineId"]!, (string)line["sku"]!, (int)line["quantity"]!));
        var transfer = page["items"]![4]!;
        Assert.Equal(("transfer", "shipped", true), ((string)transfer["mode"]!, (string)transfer["status"]!, (bool)transfer["incoming"]!));

        Assert.Equal(["ORD-C/F1", "ORD-A/F2"], Ids(await Json(await _admin.GetAsync(Url(boutique, "?status=accepted")))));
        Assert.Equal(["ORD-B/F1"], Ids(await Json(await _admin.GetAsync(Url(boutique, "?status=readyForPickup")))));
        Assert.Empty(Ids(await Json(await _admin.GetAsync(Url(boutique, "?status=received")))));
    }

    [Fact]
    public async Task Pages_follow_each_other_by_cursor_until_next_is_null()
    {
        var boutique = await SeededBoutique();
        var seen = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var query = cursor is null ? "?limit=2" : $"?limit=2&cursor={Uri.EscapeDataString(cursor)}";
            var response = await _admin.GetAsync(Url(boutique, query));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await Json(response);
            Assert.True(page["items"]!.AsArray().Count <= 2);
            seen.AddRange(Ids(page));
            cursor = (string?)page["next"];
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(["ORD-A/F1", "ORD-B/F1", "ORD-C/F1", "ORD-A/F2", "ORD-C/F2"], seen);

        // With a filter: the cursor carries on within it.
        var first = await Json(await _admin.GetAsync(Url(boutique, "?status=accepted&limit=1")));
        Assert.Equal(["ORD-C/F1"], Ids(first));
        var second = await Json(await _admin.GetAsync(Url(boutique, $"?status=accepted&limit=1&cursor={(string)first["next"]!}")));
        Assert.Equal(["ORD-A/F2"], Ids(second));
        Assert.Null((string?)second["next"]);
    }

    [Fact]
    public async Task A_store_key_sees_only_its_own_boutiques_and_an_integration_key_sees_every_one()
    {
        var boutique = await SeededBoutique();
        var other = await Boutique(_admin);
        var (ownKey, _) = await Store(_admin, boutique);
        var (otherKey, _) = await Store(_admin, other);
        var (integrationKey, _) = await Role(_admin, "integration");
        var (careKey, _) = await Role(_admin, "care");

        using var own = fixture.Client(ownKey);
        Assert.Equal(5, Ids(await Json(await own.GetAsync(Url(boutique)))).Count());

        using var elsewhere = fixture.Client(otherKey);
        await AssertProblem(await elsewhere.GetAsync(Url(boutique)), HttpStatusCode.Forbidden, missing: "location", field: "locationId");
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.GetAsync(Url(other))).StatusCode);

        using var integration = fixture.Client(integrationKey);
        Assert.Equal(5, Ids(await Json(await integration.GetAsync(Url(boutique)))).Count());

        using var care = fixture.Client(careKey);
        await AssertProblem(await care.GetAsync(Url(boutique)), HttpStatusCode.Forbidden, missing: "role");
        using var anonymous = fixture.Client(null);
        await AssertProblem(await anonymous.GetAsync(Url(boutique)), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("?status=cancelled", "status")]
    [InlineData("?status=delivered", "status")]
    [InlineData("?status=nonsense", "status")]
    [InlineData("?status=", "status")]
    [InlineData("?status=1", "status")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=201", "limit")]
    [InlineData("?limit=-1", "limit")]
    [InlineData("?limit=ten", "limit")]
    [InlineData("?limit=1.5", "limit")]
    [InlineData("?limit=99999999999999999999", "limit")]
    [InlineData("?limit=", "limit")]
    [InlineData("?cursor=nonsense!", "cursor")]
    [InlineData("?cursor=aGVsbG8", "cursor")]
    [InlineData("?cursor=", "cursor")]
    public async Task Bad_query_input_is_a_400_naming_the_field(string query, string field)
    {
        var boutique = await Boutique(_admin);
        await AssertProblem(await _admin.GetAsync(Url(boutique, query)), HttpStatusCode.BadRequest, field: field);
    }

    [Fact]
    public async Task A_cursor_of_the_maximum_length_and_beyond_is_refused_not_failed()
    {
        var boutique = await Boutique(_admin);
        await AssertProblem(await _admin.GetAsync(Url(boutique, "?cursor=" + new string('A', 2_000))), HttpStatusCode.BadRequest, field: "cursor");
    }

    [Fact]
    public async Task An_unknown_or_invalid_location_is_named()
    {
        await AssertProblem(await _admin.GetAsync(Url(Network.Unique("NOPE"))), HttpStatusCode.NotFound, field: "locationId");
        await AssertProblem(await _admin.GetAsync(Url("bad%20id")), HttpStatusCode.BadRequest, field: "locationId");
        await AssertProblem(await _admin.GetAsync(Url(new string('A', 65))), HttpStatusCode.BadRequest, field: "locationId");
    }
}
