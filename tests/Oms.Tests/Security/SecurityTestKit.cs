using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Security;

/// <summary>What the security tests share: minting keys, seeding stock and placing orders over HTTP.</summary>
public static class SecurityTestKit
{
    public static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    /// <returns>The secret and its key id, from an admin's POST /api/v1/api-keys.</returns>
    public static async Task<(string Key, string KeyId)> CreateKey(HttpClient admin, object body)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/api-keys", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"key creation answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var issued = await Json(response);
        return ((string)issued["key"]!, (string)issued["apiKey"]!["keyId"]!);
    }

    public static Task<(string Key, string KeyId)> Storefront(HttpClient admin, params string[] channels) =>
        CreateKey(admin, new { name = "storefront " + string.Join("+", channels), role = "storefront", channels });

    public static Task<(string Key, string KeyId)> Store(HttpClient admin, params string[] locationIds) =>
        CreateKey(admin, new { name = "boutique tablet", role = "store", locationIds });

    public static Task<(string Key, string KeyId)> Role(HttpClient admin, string role) =>
        CreateKey(admin, new { name = role + " key", role });

    /// <summary>A client of the same API authenticating with <paramref name="key"/>.</summary>
    public static HttpClient As(this Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> api, string? key) => api.CreateClient().WithKey(key);

    public static async Task<string> Boutique(HttpClient admin)
    {
        var id = Network.Unique("BTQ");
        var response = await admin.PutAsJsonAsync($"/api/v1/locations/{id}", new
        {
            name = $"Boutique {id}", type = "boutique", latitude = 48.87, longitude = 2.33, countryCode = "FR", timeZone = "UTC",
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    public static async Task StockAt(HttpClient admin, string locationId, string sku, int onHand, long sequence = 1)
    {
        var response = await admin.PutAsJsonAsync($"/api/v1/locations/{locationId}/stock", new { sequence, items = new[] { new { sku, onHand } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <returns>A warehouse holding <paramref name="units"/> of a new SKU, visible to sourcing on every silo.</returns>
    public static async Task<(string Warehouse, string Sku)> Stocked(HttpClient admin, int units)
    {
        var warehouse = await Network.Warehouse(admin);
        var sku = Network.Unique("BAG");
        await StockAt(admin, warehouse, sku, units);
        await Eventually.Until(async () => await Json(await admin.GetAsync($"/api/v1/availability/{sku}")),
            v => (int?)v["available"] == units, TimeSpan.FromSeconds(5), "the network view has it");
        await Task.Delay(TestClusters.ProfileRefresh * 2);
        return (warehouse, sku);
    }

    public static string OrderBody(string channel, string sku, string customerId, string extra = "") => $$"""
        {
          "channel": "{{channel}}",
          "customer": { "customerId": "{{customerId}}", "email": "ada@example.com", "name": "Ada L." },
          "lines": [ { "lineId": "1", "sku": "{{sku}}", "quantity": 1, "unitPrice": 100.00, "currency": "EUR" } ],
          "delivery": { "method": "shipToHome",
                        "address": { "line1": "1 Main St", "city": "Paris", "postalCode": "75001", "countryCode": "FR", "latitude": 48.86, "longitude": 2.34 } }
          {{extra}}
        }
        """;

    public static Task<HttpResponseMessage> PostJson(HttpClient http, string url, string body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", idempotencyKey ?? Network.Unique("KEY"));
        return http.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PlaceOrder(HttpClient http, string channel, string sku, string customerId, string extra = "") =>
        PostJson(http, "/api/v1/orders", OrderBody(channel, sku, customerId, extra));

    /// <summary>
    /// A checkout as a well-behaved client makes it: a 503 (a silo just started, its reminder service still reading
    /// its table on a loaded machine) is retried with the same Idempotency-Key until it is answered.
    /// </summary>
    public static async Task<string> PlacedOrderId(HttpClient http, string channel, string sku, string customerId, string extra = "")
    {
        var key = Network.Unique("KEY");
        var body = OrderBody(channel, sku, customerId, extra);
        var response = await PostJson(http, "/api/v1/orders", body, key);
        for (var retry = 0; response.StatusCode == HttpStatusCode.ServiceUnavailable && retry < 10; retry++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            response = await PostJson(http, "/api/v1/orders", body, key);
        }

        Assert.True(response.StatusCode == HttpStatusCode.Created, $"placing a {channel} order answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (string)(await Json(response))["orderId"]!;
    }

    public static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string? missing = null, string? field = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal((int)status, (int?)problem["status"]);
        if (missing is not null)
        {
            Assert.Equal(missing, (string?)problem["missing"]);
        }

        if (field is not null)
        {
            Assert.True(problem["errors"]?[field] is not null, $"the problem names '{field}': {text}");
        }
    }
}
