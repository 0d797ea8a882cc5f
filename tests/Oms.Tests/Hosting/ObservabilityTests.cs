using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Oms.Tests.Infrastructure;
using Oms.Tests.Promise;
using OpenTelemetry.Trace;
using Orleans.TestingHost;

namespace Oms.Tests.Hosting;

/// <summary>Traces across the API and the grain calls, and where the cluster keeps a grain (issue #17, observability).</summary>
public sealed class ObservabilityTests : IAsyncLifetime
{
    private readonly List<Activity> _spans = [];
    private InProcessTestCluster _cluster = null!;
    private WebApplicationFactory<Program> _api = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TestClusters.StartAsync(extra: new Dictionary<string, string?> { ["Oms:Tracing"] = "true" });
        _api = ApiFixture.AttachedTo(_cluster).WithWebHostBuilder(web =>
        {
            web.UseSetting("Oms:Tracing", "true");
            // The API's own tracer provider, as production builds it, with an exporter a test can read.
            web.ConfigureTestServices(services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(_spans)));
        });
        _ = _api.Server;
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_checkout_is_one_trace_from_the_request_through_the_order_to_its_stock_items()
    {
        using var admin = _api.CreateAdminClient();
        var kit = new PromiseKit(admin);
        var warehouse = await kit.Location("warehouse", -23.5, -153.5, "UTC", null, null, []);
        var sku = Network.Unique("BAG");
        await kit.Stock(warehouse, sku, 3);
        await kit.Visible(sku, 3);

        // The caller's trace, as a storefront that traces would send it.
        var trace = ActivityTraceId.CreateRandom();
        admin.DefaultRequestHeaders.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        await kit.Order(sku, -23.5, -153.5, "UTC");

        var names = await Eventually.Until(() =>
        {
            // The exporter appends as spans end, on whichever thread ends them.
            return Task.FromResult(_spans.ToArray().Where(s => s is not null && s.TraceId == trace).Select(s => s.DisplayName + " " + s.OperationName).ToList());
        }, n => n.Any(s => s.Contains("IStockItemGrain", StringComparison.Ordinal)), TimeSpan.FromSeconds(20), "the stock item's span is in the request's trace");

        Assert.Contains(names, n => n.Contains("POST", StringComparison.Ordinal) && n.Contains("/api/v1/orders", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("IOrderGrain", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_admin_finds_the_silo_holding_a_stock_item_and_an_order_without_activating_them()
    {
        using var admin = _api.CreateAdminClient();
        var kit = new PromiseKit(admin);
        var warehouse = await kit.Location("warehouse", -24.5, -154.5, "UTC", null, null, []);
        var sku = Network.Unique("BAG");

        var silos = await PromiseKit.Json(await admin.GetAsync("/api/v1/cluster/silos"));
        var addresses = silos["silos"]!.AsArray().Select(s => (string)s!["address"]!).ToList();
        Assert.Equal(2, addresses.Count);
        Assert.All(silos["silos"]!.AsArray(), s => Assert.Equal("active", (string)s!["status"]!));

        // Never stocked, never read: nothing holds it, and asking does not change that.
        var cold = await PromiseKit.Json(await admin.GetAsync($"/api/v1/locations/{warehouse}/stock/{sku}/placement"));
        Assert.False((bool)cold["grains"]![0]!["active"]!);
        Assert.False((bool)(await PromiseKit.Json(await admin.GetAsync($"/api/v1/locations/{warehouse}/stock/{sku}/placement")))["grains"]![0]!["active"]!);

        await kit.Stock(warehouse, sku, 3);
        var hot = (await PromiseKit.Json(await admin.GetAsync($"/api/v1/locations/{warehouse}/stock/{sku}/placement")))["grains"]![0]!;
        Assert.True((bool)hot["active"]!);
        Assert.Contains((string)hot["silo"]!, addresses);
        Assert.Contains(sku, (string)hot["grain"]!, StringComparison.Ordinal);

        await kit.Visible(sku, 3);
        var order = await kit.Order(sku, -24.5, -154.5, "UTC");
        var orderId = (string)order["orderId"]!;
        var rooms = (await PromiseKit.Json(await admin.GetAsync($"/api/v1/orders/{orderId}/placement")))["grains"]!.AsArray();
        Assert.Equal(3, rooms.Count);
        Assert.True((bool)rooms[0]!["active"]!);
        Assert.Contains((string)rooms[0]!["silo"]!, addresses);

        var bad = await admin.GetAsync("/api/v1/orders/bad%20id/placement");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotNull((await PromiseKit.Json(bad))["errors"]!["orderId"]);

        var (key, _) = await Security.SecurityTestKit.Storefront(admin, "web");
        using var storefront = _api.CreateClient().WithKey(key);
        Assert.Equal(HttpStatusCode.Forbidden, (await storefront.GetAsync("/api/v1/cluster/silos")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await storefront.GetAsync($"/api/v1/orders/{orderId}/placement")).StatusCode);
    }
}
