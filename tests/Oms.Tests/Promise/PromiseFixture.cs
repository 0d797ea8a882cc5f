using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Oms.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Oms.Tests.Promise;

/// <summary>
/// A cluster of the promise tests' own: carriers are network-wide, and once one exists checkout leaves out sources no
/// service can ship from, which the other suites' networks were not built for.
/// </summary>
public sealed class PromiseFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program> _api = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public HttpClient As(string key) => _api.CreateClient().WithKey(key);

    public async Task InitializeAsync()
    {
        Cluster = await TestClusters.StartAsync();
        _api = ApiFixture.AttachedTo(Cluster);
        Http = _api.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition("promise")]
public sealed class PromiseCollection : ICollectionFixture<PromiseFixture>;

/// <summary>What the promise tests do over HTTP: carriers, locations that ship with them, stock, orders and reports.</summary>
public sealed class PromiseKit(HttpClient http)
{
    public static readonly string[] EveryDay = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    public static readonly string[] Weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"];

    public static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    public Task<HttpResponseMessage> Send(HttpMethod method, string url, object body) =>
        http.SendAsync(new HttpRequestMessage(method, url)
        {
            Content = new StringContent(body as string ?? System.Text.Json.JsonSerializer.Serialize(body, ApiFixture.Json), Encoding.UTF8, "application/json"),
        });

    public static object Service(string serviceId, object transitDays, string[]? deliveryDays = null, string[]? pickupDays = null, int window = 0) =>
        new { serviceId, transitDays, deliveryDays = deliveryDays ?? EveryDay, pickupDays = pickupDays ?? EveryDay, deliveryWindowDays = window };

    public async Task<string> Carrier(params object[] services)
    {
        var id = Network.Unique("CR");
        var response = await Send(HttpMethod.Put, $"/api/v1/carriers/{id}", new { name = $"Carrier {id}", services });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return id;
    }

    public async Task<string> Location(string type, double lat, double lon, string zone, string? cutoff, int? processingDays, IEnumerable<(string Carrier, string Service)> services,
        object? openingHours = null)
    {
        var id = Network.Unique(type == "boutique" ? "BQ" : "WH");
        var response = await Send(HttpMethod.Put, $"/api/v1/locations/{id}", new
        {
            name = id, type, latitude = lat, longitude = lon, countryCode = "FR", timeZone = zone, orderCutoff = cutoff, processingDays,
            carrierServices = services.Select(s => new { carrierId = s.Carrier, serviceId = s.Service }).ToArray(),
            openingHours, pickupPreparationMinutes = 30,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return id;
    }

    public async Task Stock(string location, string sku, int onHand)
    {
        var response = await http.PutAsJsonAsync($"/api/v1/locations/{location}/stock", new { sequence = 1, items = new[] { new { sku, onHand } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Until the network view and every API node's profiles show the stock and the profiles.</summary>
    public async Task Visible(string sku, int units)
    {
        await Eventually.Until(async () => await Json(await http.GetAsync($"/api/v1/availability/{sku}")),
            v => (int)v["available"]! >= units, TimeSpan.FromSeconds(30), $"{sku} visible in the network view");
        await Task.Delay(TestClusters.ProfileRefresh * 3);
    }

    public async Task<JsonNode> Order(string sku, double lat, double lon, string zone, string? carrierId = null, string? serviceId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new
            {
                channel = "web",
                customer = new { customerId = Network.Unique("C"), email = "ada@example.com", name = "Ada L." },
                lines = new[] { new { lineId = "1", sku, quantity = 1, unitPrice = 100, currency = "EUR" } },
                delivery = new
                {
                    method = "shipToHome",
                    address = new { line1 = "1 rue de la Paix", city = "Paris", postalCode = "75002", countryCode = "FR", latitude = lat, longitude = lon },
                    carrierId, serviceId,
                },
            }, ApiFixture.Json), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", Network.Unique("promise"));
        using var response = await http.SendAsync(request);
        var order = await Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, order.ToJsonString());
        return order;
    }

    public async Task<JsonNode> Report(string orderId, string fulfilmentId, object body)
    {
        var response = await Send(HttpMethod.Post, $"/api/v1/orders/{orderId}/fulfilments/{fulfilmentId}/events", body);
        var json = await Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json;
    }

    /// <summary>A zone where it is day now, so a same-day cut-off of 23:59 local is hours ahead whenever the suite runs.</summary>
    public static TimeZoneInfo Daytime()
    {
        foreach (var id in new[] { "UTC", "Asia/Tokyo", "America/New_York", "Pacific/Auckland" })
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            if (TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).Hour is >= 2 and <= 20)
            {
                return zone;
            }
        }

        throw new InvalidOperationException("some zone of the list is always in daytime");
    }

    public static DateOnly Today(TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).DateTime);

    /// <summary>10:00 on a Monday at least a week ahead, in <paramref name="zone"/>: fixed enough to assert dates, near enough to be allowed.</summary>
    public static DateTimeOffset NextMondayAt(TimeZoneInfo zone, int hour, int minute = 0)
    {
        var day = Today(zone).AddDays(7);
        while (day.DayOfWeek != DayOfWeek.Monday)
        {
            day = day.AddDays(1);
        }

        var local = day.ToDateTime(new TimeOnly(hour, minute));
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}
