using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Oms.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Oms.Tests.Fulfilment;

/// <summary>
/// A two-silo cluster whose fulfilment clock runs fast: a profile's minute is a second and its day two seconds,
/// and the watch reminder wakes every two seconds, so a missed deadline can be watched in a test.
/// </summary>
public sealed class FulfilmentFixture : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string?> FastDeadlines = new Dictionary<string, string?>
    {
        ["Oms:Fulfilment:AcceptMinute"] = "00:00:01",
        ["Oms:Fulfilment:PickupDay"] = "00:00:02",
        ["Oms:Fulfilment:WatchPeriod"] = "00:00:02",
    };

    private WebApplicationFactory<Program> _api = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.Client;
    public FulfilmentKit Kit { get; private set; } = null!;

    public HttpClient As(string key) => _api.CreateClient().WithKey(key);

    public async Task InitializeAsync()
    {
        Cluster = await TestClusters.StartAsync(extra: FastDeadlines);
        _api = ApiFixture.AttachedTo(Cluster);
        Admin = _api.CreateAdminClient();
        Kit = new FulfilmentKit(Admin);
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await _api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition("fulfilment")]
public sealed class FulfilmentCollection : ICollectionFixture<FulfilmentFixture>;

/// <summary>What the fulfilment tests do over HTTP: a network, orders, reports, and the checks every scenario ends with.</summary>
public sealed class FulfilmentKit(HttpClient admin)
{
    /// <summary>Far from every other test's locations, so only this test's ones are candidates.</summary>
    private static readonly (double Lat, double Lon) Here = (-33.9, 18.4);

    public static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    /// <param name="acceptWithinMinutes">Long by default, so only a deadline test sees a request time out.</param>
    public async Task<string> Location(string type, int acceptWithinMinutes = 10_000, int? holdForPickupDays = null, double offset = 0, int priority = 0)
    {
        var id = Network.Unique(type == "boutique" ? "BTQ" : "WH");
        var response = await admin.PutAsJsonAsync($"/api/v1/locations/{id}", new
        {
            name = id, type, latitude = Here.Lat + offset, longitude = Here.Lon + offset, countryCode = "ZA", timeZone = "UTC",
            acceptWithinMinutes, holdForPickupDays, priority,
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return id;
    }

    public async Task Stock(string locationId, string sku, int onHand, long sequence = 1)
    {
        var response = await admin.PutAsJsonAsync($"/api/v1/locations/{locationId}/stock", new { sequence, items = new[] { new { sku, onHand } } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task WaitForAvailability(string sku, int units)
    {
        await Eventually.Until(async () => await Json(await admin.GetAsync($"/api/v1/availability/{sku}")),
            v => (int?)v["available"] == units, TimeSpan.FromSeconds(10), $"{sku} shows {units} online");
        await Task.Delay(TestClusters.ProfileRefresh * 2);
    }

    public static string ShipBody(string orderId, params (string Sku, int Quantity)[] lines) => Body(orderId, lines, $$"""
        { "method": "shipToHome", "address": { "line1": "1 Long St", "city": "Cape Town", "countryCode": "ZA", "latitude": {{Here.Lat}}, "longitude": {{Here.Lon}} } }
        """);

    public static string PickupBody(string orderId, string boutique, params (string Sku, int Quantity)[] lines) =>
        Body(orderId, lines, $$"""{ "method": "clickAndCollect", "pickupLocationId": "{{boutique}}" }""");

    private static string Body(string orderId, (string Sku, int Quantity)[] lines, string delivery) => $$"""
        {
          "orderId": "{{orderId}}", "channel": "web",
          "customer": { "customerId": "C-{{orderId}}", "email": "ada@example.com", "name": "Ada Lovelace" },
          "lines": [ {{string.Join(",", lines.Select((l, i) => $$"""{ "lineId": "{{i + 1}}", "sku": "{{l.Sku}}", "quantity": {{l.Quantity}}, "unitPrice": 1200.00, "currency": "EUR" }"""))}} ],
          "delivery": {{delivery}}
        }
        """;

    public async Task<JsonNode> Place(string body)
    {
        var response = await Post("/api/v1/orders", body, Network.Unique("KEY"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"checkout answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json(response);
    }

    public Task<HttpResponseMessage> Post(string url, string body, string? idempotencyKey = null, HttpClient? as_ = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return (as_ ?? admin).SendAsync(request);
    }

    public Task<HttpResponseMessage> Report(string orderId, string fulfilmentId, object report, HttpClient? as_ = null) =>
        (as_ ?? admin).PostAsJsonAsync($"/api/v1/orders/{orderId}/fulfilments/{fulfilmentId}/events", report);

    /// <returns>The fulfilment the report moved.</returns>
    public async Task<JsonNode> Reported(string orderId, string fulfilmentId, object report, HttpClient? as_ = null)
    {
        var response = await Report(orderId, fulfilmentId, report, as_);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"report answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json(response);
    }

    public async Task<JsonNode> Order(string orderId) => await Json(await admin.GetAsync($"/api/v1/orders/{orderId}"));

    public async Task<JsonNode> Level(string locationId, string sku) => await Json(await admin.GetAsync($"/api/v1/locations/{locationId}/stock/{sku}"));

    public async Task<JsonNode> OrderEvents(string orderId) => await Json(await admin.GetAsync($"/api/v1/orders/{orderId}/events?limit=1000"));

    public async Task<IReadOnlyList<string>> EventTypes(string orderId, int atLeast)
    {
        var page = await Eventually.Until(() => OrderEvents(orderId), p => p["events"]!.AsArray().Count >= atLeast, TimeSpan.FromSeconds(10), $"{atLeast} events of {orderId}");
        return [.. page["events"]!.AsArray().Select(e => (string)e!["type"]!)];
    }

    /// <summary>The invariants every scenario ends with: each touched item's ledger replays to its position, and each line's units add up.</summary>
    public async Task AssertConsistent(string orderId, params (string Location, string Sku)[] items)
    {
        foreach (var (location, sku) in items)
        {
            var verify = await Json(await admin.PostAsync($"/api/v1/locations/{location}/stock/{sku}/verify", null));
            Assert.True((string?)verify["status"] == "consistent", $"{sku}@{location}: {verify.ToJsonString()}");
        }

        var order = await Order(orderId);
        foreach (var line in order["lines"]!.AsArray())
        {
            var sum = new[] { "allocatedQuantity", "shippedQuantity", "deliveredQuantity", "collectedQuantity", "cancelledQuantity", "unfulfillableQuantity" }
                .Sum(field => (int)line![field]!);
            Assert.True(sum == (int)line!["quantity"]!, $"line {line["lineId"]} of {orderId}: units add up to {sum}: {line.ToJsonString()}");
        }
    }
}
