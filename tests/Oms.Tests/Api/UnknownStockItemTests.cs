using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;
using Orleans.Runtime;

namespace Oms.Tests.Api;

/// <summary>A SKU never stocked at a location is a 404 and leaves no activation behind, however many are probed.</summary>
[Collection("api")]
public sealed class UnknownStockItemTests(ApiFixture fixture)
{
    /// <summary>Enough that one activation left per probe could not hide in the slack; 20,000 took 34 s on 2 cores, for the same verdict.</summary>
    private const int Probes = 5_000;

    private readonly HttpClient _http = fixture.Http;

    private async Task<int> Activations(string grainClass)
    {
        var statistics = await fixture.Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return statistics.Where(s => s.GrainType.Split(',')[0].EndsWith("." + grainClass, StringComparison.Ordinal)).Sum(s => s.ActivationCount);
    }

    private Task<string> Location() => Network.Warehouse(_http);

    [Theory]
    [InlineData("GET", "")]
    [InlineData("GET", "/ledger")]
    [InlineData("POST", "/verify")]
    public async Task Reading_verifying_or_paging_a_sku_never_stocked_is_a_404_naming_the_sku(string method, string suffix)
    {
        var location = await Location();

        var response = await _http.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/api/v1/locations/{location}/stock/NEVER-1{suffix}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!["sku"]);
    }

    [Fact]
    public async Task Thousands_of_random_skus_read_leave_no_stock_item_or_ledger_active()
    {
        var location = await Location();
        Assert.Equal(HttpStatusCode.OK, (await _http.PutAsJsonAsync($"/api/v1/locations/{location}/stock", new { sequence = 1, items = new[] { new { sku = "KNOWN", onHand = 3 } } })).StatusCode);
        var before = await Activations("StockItemGrain");
        var ledgersBefore = await Activations("MemoryStockLedgerGrain");

        var notFound = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, Probes), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var response = await _http.GetAsync($"/api/v1/locations/{location}/stock/RND-{Guid.NewGuid():N}", ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                Interlocked.Increment(ref notFound);
            }
        });

        Assert.Equal(Probes, notFound);
        // Deactivation follows each answer; allow the handful still draining, never one per probe.
        await Eventually.Until(() => Activations("StockItemGrain"), count => count <= before + 16, TimeSpan.FromSeconds(30),
            $"stock item activations should return to about {before} after {Probes} unknown reads");
        await Eventually.Until(() => Activations("MemoryStockLedgerGrain"), count => count <= ledgersBefore + 16, TimeSpan.FromSeconds(30),
            $"the in-memory ledgers of never-stocked items should not stay behind either (about {ledgersBefore})");
        Assert.Equal(3, (int)JsonNode.Parse(await _http.GetStringAsync($"/api/v1/locations/{location}/stock/KNOWN"))!["onHand"]!);
    }
}
