using System.Net.Http.Json;
using Oms.Contracts;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;

namespace Oms.Tests.Infrastructure;

/// <summary>Registers locations and stock through the grains, with names unique to each test.</summary>
public static class Network
{
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 64)];

    public static async Task<string> Location(IGrainFactory grains, LocationType type = LocationType.Warehouse, string prefix = "LOC")
    {
        var id = Unique(prefix);
        await grains.GetGrain<ILocationGrain>(id).Upsert(new LocationInfo(id, $"Test {id}", type, 48.85, 2.35, "FR", "Europe/Paris"));
        return id;
    }

    /// <summary>Registers a warehouse through the HTTP API, as a client would.</summary>
    public static async Task<string> Warehouse(HttpClient http)
    {
        var id = Unique("WH");
        var response = await http.PutAsJsonAsync($"/api/v1/locations/{id}", new { name = "WH", type = "warehouse", latitude = 1.0, longitude = 2.0 });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    public static IStockItemGrain Item(IGrainFactory grains, string locationId, string sku) =>
        grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(locationId, sku));

    public static async Task Stock(IGrainFactory grains, string locationId, string sku, int onHand, int safetyStock = 0)
    {
        // A reset, so a test can set the figure again whatever it sent before.
        var result = await Item(grains, locationId, sku).ApplySnapshot(1, onHand, safetyStock, reset: true);
        Assert.Contains(result.Outcome, new[] { StockOutcome.Applied, StockOutcome.Duplicate });
    }
}
