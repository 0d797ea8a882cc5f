using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Oms.Tests.Fulfilment;
using Oms.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Oms.Tests.Returns;

/// <summary>
/// A two-silo cluster whose return clock runs fast: a day of the return terms is a second, so an authorisation
/// (twenty days here) runs out while a test watches, and the window (sixty) stays open for every other test.
/// </summary>
public sealed class ReturnsFixture : IAsyncLifetime
{
    public const int AuthorisationSeconds = 20;

    private WebApplicationFactory<Program> _api = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public ReturnsKit Kit { get; private set; } = null!;

    public HttpClient As(string key) => _api.CreateClient().WithKey(key);

    public async Task InitializeAsync()
    {
        Cluster = await TestClusters.StartAsync(extra: Settings);
        _api = ApiFixture.AttachedTo(Cluster);
        Admin = _api.CreateAdminClient();
        Kit = new ReturnsKit(Admin);
    }

    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(FulfilmentFixture.FastDeadlines)
    {
        ["Oms:Returns:Day"] = "00:00:01",
        ["Oms:Returns:WindowDays"] = "600",
        ["Oms:Returns:AuthorisationDays"] = $"{AuthorisationSeconds}",
        ["Oms:Returns:WatchPeriod"] = "00:00:02",
    };

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await _api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition("returns")]
public sealed class ReturnsCollection : ICollectionFixture<ReturnsFixture>;

/// <summary>The fulfilment kit, and what the return tests add: delivered orders, returns, receipts and refunds.</summary>
public sealed class ReturnsKit(HttpClient admin)
{
    public FulfilmentKit Fulfilment { get; } = new(admin);

    public static Task<JsonNode> Json(HttpResponseMessage response) => FulfilmentKit.Json(response);

    /// <summary>A warehouse with the SKU in stock, and an order of it shipped and delivered.</summary>
    public async Task<(string OrderId, string Warehouse, string Sku)> Delivered(int units, int stock = 10, string? extra = null)
    {
        var warehouse = await Fulfilment.Location("warehouse");
        var sku = Network.Unique("BAG");
        await Fulfilment.Stock(warehouse, sku, stock);
        await Fulfilment.WaitForAvailability(sku, stock);
        var orderId = Network.Unique("ORD");
        var placed = await Fulfilment.Place(With(FulfilmentKit.ShipBody(orderId, (sku, units)), extra));
        var f1 = (string)placed["fulfilments"]![0]!["fulfilmentId"]!;
        await Fulfilment.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "shipped", carrier = "DHL", trackingNumber = "JD1" });
        await Fulfilment.Reported(orderId, f1, new { eventId = Network.Unique("E"), type = "delivered" });
        return (orderId, warehouse, sku);
    }

    /// <summary>The checkout body with more top-level fields (shipping, payment).</summary>
    public static string With(string body, string? extra) =>
        extra is null ? body : body.TrimEnd()[..^1] + "," + extra + "}";

    public Task<HttpResponseMessage> Authorise(string orderId, object body, string? key = null, HttpClient? as_ = null) =>
        Fulfilment.Post($"/api/v1/orders/{orderId}/returns", System.Text.Json.JsonSerializer.Serialize(body), key ?? Network.Unique("RK"), as_);

    public async Task<JsonNode> Authorised(string orderId, object body, string? key = null)
    {
        var response = await Authorise(orderId, body, key);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"return answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json(response);
    }

    public Task<HttpResponseMessage> Receive(string returnId, object body, HttpClient? as_ = null) =>
        (as_ ?? admin).PostAsJsonAsync($"/api/v1/returns/{Uri.EscapeDataString(returnId)}/receive", body);

    public async Task<JsonNode> Received(string returnId, object body, HttpClient? as_ = null)
    {
        var response = await Receive(returnId, body, as_);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"receipt answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json(response);
    }

    public Task<HttpResponseMessage> RefundEvent(string refundId, object body) =>
        admin.PostAsJsonAsync($"/api/v1/refunds/{Uri.EscapeDataString(refundId)}/events", body);

    /// <summary>An RFC 9457 problem of this status naming <paramref name="field"/>; its body, for what else it says.</summary>
    public static async Task<JsonNode> Problem(HttpResponseMessage response, HttpStatusCode status, string? field = null, string? missing = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        await Oms.Tests.Security.SecurityTestKit.AssertProblem(new HttpResponseMessage(response.StatusCode)
        {
            RequestMessage = response.RequestMessage,
            Content = new StringContent(text, System.Text.Encoding.UTF8, response.Content.Headers.ContentType?.MediaType ?? "text/plain"),
        }, status, missing, field);
        return JsonNode.Parse(text)!;
    }

    public static object Lines(params (string LineId, int Quantity, string Reason)[] lines) =>
        lines.Select(l => new { lineId = l.LineId, quantity = l.Quantity, reason = l.Reason }).ToArray();

    /// <summary>The order view once the returns grain's news has reached it.</summary>
    public Task<JsonNode> OrderWith(string orderId, Func<JsonNode, bool> until, string what) =>
        Eventually.Until(() => Fulfilment.Order(orderId), until, TimeSpan.FromSeconds(10), what);
}
