using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oms.Contracts;
using Oms.Grains.Stock;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Api;

/// <summary>The on-hand ceiling, feed sequences and adjustment ids, over HTTP: refusals name the field and change nothing.</summary>
[Collection("api")]
public sealed class StockFeedApiTests(ApiFixture fixture)
{
    private readonly HttpClient _http = fixture.Http;

    private static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private Task<string> Location() => Network.Warehouse(_http);

    private Task<HttpResponseMessage> Snapshot(string location, long sequence, int onHand, bool reset = false) =>
        _http.PutAsJsonAsync($"/api/v1/locations/{location}/stock", new { sequence, reset, items = new[] { new { sku = "BAG", onHand } } });

    private Task<HttpResponseMessage> Adjust(string location, string id, int delta) =>
        _http.PostAsJsonAsync("/api/v1/stock/adjustments", new { adjustmentId = id, locationId = location, sku = "BAG", delta });

    private async Task<int> OnHand(string location) => (int)(await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/BAG")))["onHand"]!;

    private async Task<string> Verify(string location) =>
        (string)(await Json(await _http.PostAsync($"/api/v1/locations/{location}/stock/BAG/verify", null)))["status"]!;

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull((await Json(response))["errors"]?[field]);
    }

    [Fact]
    public async Task A_delta_that_would_cross_the_ceiling_or_go_below_zero_is_a_409_naming_delta()
    {
        var location = await Location();
        for (var i = 0; i < 3; i++)
        {
            var response = await Adjust(location, $"ADJ-{i}", 1_000_000);
            if (i == 0)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            else
            {
                await AssertProblem(response, HttpStatusCode.Conflict, "delta");
            }
        }

        await AssertProblem(await Adjust(location, "ADJ-UP", 1), HttpStatusCode.Conflict, "delta");
        Assert.Equal(1_000_000, await OnHand(location));
        Assert.Equal(HttpStatusCode.OK, (await Adjust(location, "ADJ-DOWN", -1_000_000)).StatusCode);
        Assert.Equal(0, await OnHand(location));
        await AssertProblem(await Adjust(location, "ADJ-NEG", -1), HttpStatusCode.Conflict, "delta");
        Assert.Equal(0, await OnHand(location));
        Assert.Equal("consistent", await Verify(location));
    }

    [Fact]
    public async Task A_snapshot_over_the_ceiling_is_a_400_naming_the_item()
    {
        var location = await Location();

        await AssertProblem(await Snapshot(location, 1, 1_000_001), HttpStatusCode.BadRequest, "items[0].onHand");
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/locations/{location}/stock/BAG")).StatusCode);
    }

    [Fact]
    public async Task Verify_flags_a_ledger_whose_fold_is_impossible()
    {
        var location = await Location();
        var key = Ids.StockItemKey(location, "BAG");
        var at = DateTimeOffset.UtcNow;
        // Written past the stock item, as a corrupt import or an older build without the ceiling could have.
        await fixture.Grains.GetGrain<IMemoryStockLedgerGrain>(key).Append(0,
            [.. Enumerable.Range(1, 3).Select(i => new StockMovement(i, MovementKind.Adjusted, 1_000_000, $"ADJ-{i}", at))]);

        var verify = await Json(await _http.PostAsync($"/api/v1/locations/{location}/stock/BAG/verify", null));

        Assert.Equal("inconsistent", (string?)verify["status"]);
        Assert.Contains(verify["anomalies"]!.AsArray(), a => ((string)a!).StartsWith("onHand 3000000", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(9_223_372_036_854_775_807)]
    [InlineData(1_000_000_000_000_001)]
    [InlineData(-1)]
    public async Task A_sequence_outside_its_range_is_a_400_naming_sequence(long sequence)
    {
        var location = await Location();

        await AssertProblem(await Snapshot(location, sequence, 5), HttpStatusCode.BadRequest, "sequence");
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/locations/{location}/stock/BAG")).StatusCode);
    }

    [Fact]
    public async Task A_sequence_far_ahead_is_a_409_and_a_reset_restarts_numbering_even_backwards()
    {
        var location = await Location();
        Assert.Equal(HttpStatusCode.OK, (await Snapshot(location, 5, 10)).StatusCode);

        await AssertProblem(await Snapshot(location, 5 + StockPosition.MaxFeedJump + 1, 99), HttpStatusCode.Conflict, "sequence");
        Assert.Equal(10, await OnHand(location));

        var reset = await Snapshot(location, 1, 7, reset: true);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal(["BAG"], (await Json(reset))["applied"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(HttpStatusCode.OK, (await Snapshot(location, 2, 6)).StatusCode);
        Assert.Equal(6, await OnHand(location));

        var ledger = await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/BAG/ledger"));
        Assert.Equal(["snapshotApplied", "snapshotReset", "snapshotApplied"], ledger["entries"]!.AsArray().Select(e => (string?)e!["kind"]));
        Assert.Equal("consistent", await Verify(location));
    }

    [Fact]
    public async Task The_same_sequence_with_other_figures_is_a_409_and_with_the_same_figures_a_duplicate()
    {
        var location = await Location();
        Assert.Equal(HttpStatusCode.OK, (await Snapshot(location, 5, 10)).StatusCode);

        await AssertProblem(await Snapshot(location, 5, 11), HttpStatusCode.Conflict, "items[0].onHand");
        var resent = await Json(await Snapshot(location, 5, 10));

        Assert.Equal("duplicate", (string?)resent["ignored"]![0]!["reason"]);
        Assert.Equal(10, await OnHand(location));
    }

    [Fact]
    public async Task Reusing_an_adjustment_id_with_another_delta_is_a_409_naming_adjustmentId()
    {
        var location = await Location();
        await Snapshot(location, 1, 10);
        Assert.Equal(HttpStatusCode.OK, (await Adjust(location, "ADJ-1", -2)).StatusCode);

        await AssertProblem(await Adjust(location, "ADJ-1", -3), HttpStatusCode.Conflict, "adjustmentId");
        Assert.Equal("duplicate", (string?)(await Json(await Adjust(location, "ADJ-1", -2)))["outcome"]);
        Assert.Equal(8, await OnHand(location));
    }
}
