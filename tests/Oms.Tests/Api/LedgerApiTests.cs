using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Api;

[Collection("api")]
public sealed class LedgerApiTests(ApiFixture fixture)
{
    private readonly HttpClient _http = fixture.Http;

    private async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Fact]
    public async Task The_ledger_pages_every_movement_and_verify_replays_it_to_the_live_position()
    {
        var location = Network.Unique("WH");
        await _http.PutAsJsonAsync($"/api/v1/locations/{location}", new { name = "WH", type = "warehouse", latitude = 1.0, longitude = 2.0 });
        await _http.PutAsJsonAsync($"/api/v1/locations/{location}/stock", new { sequence = 3, items = new[] { new { sku = "BAG", onHand = 10 } } });
        await _http.PostAsJsonAsync("/api/v1/stock/adjustments", new { adjustmentId = "ADJ-1", locationId = location, sku = "BAG", delta = -2 });
        await _http.PostAsJsonAsync("/api/v1/reservations", new { reservationId = Network.Unique("R"), lines = new[] { new { sku = "BAG", locationId = location, quantity = 3 } } });
        var released = Network.Unique("R");
        await _http.PostAsJsonAsync("/api/v1/reservations", new { reservationId = released, lines = new[] { new { sku = "BAG", locationId = location, quantity = 1 } } });
        await _http.DeleteAsync($"/api/v1/reservations/{released}");

        var first = await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/BAG/ledger?limit=3"));
        var rest = await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/BAG/ledger?after={(long)first["next"]!}"));
        var kinds = first["entries"]!.AsArray().Concat(rest["entries"]!.AsArray()).Select(e => (string)e!["kind"]!);

        Assert.Equal(["snapshotApplied", "adjusted", "holdPlaced", "holdPlaced", "holdReleased"], kinds);
        Assert.Equal("feed:3", (string?)first["entries"]![0]!["reference"]);
        Assert.Null(rest["next"]);

        var verify = await Json(await _http.PostAsync($"/api/v1/locations/{location}/stock/BAG/verify", null));
        Assert.Equal("consistent", (string?)verify["status"]);
        Assert.Equal(5, (long)verify["sequence"]!);
        Assert.Equal((string?)verify["live"], (string?)verify["replayed"]);
    }

    [Theory]
    [InlineData("?after=-1", "after")]
    [InlineData("?after=x", "after")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=5000", "limit")]
    public async Task Bad_paging_names_the_parameter(string query, string field)
    {
        var response = await _http.GetAsync($"/api/v1/locations/ANY/stock/BAG/ledger{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await Json(response))["errors"]![field]);
    }
}
