using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Oms.Grains.Diagnostics;
using Oms.Tests.Infrastructure;
using Oms.Tests.Promise;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Orleans.TestingHost;

namespace Oms.Tests.Hosting;

/// <summary>The business meters through OpenTelemetry, and the admin-only scrape endpoint (issue #17, observability).</summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;
    private WebApplicationFactory<Program> _api = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TestClusters.StartAsync();
        _api = ApiFixture.AttachedTo(_cluster);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private static long Sum(List<Metric> exported, string name, string tag, string value)
    {
        var total = 0L;
        foreach (var metric in exported.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var t in point.Tags)
                {
                    if (t.Key == tag && Equals(t.Value, value))
                    {
                        total = Math.Max(total, point.GetSumLong());
                    }
                }
            }
        }

        return total;
    }

    [Fact]
    public async Task A_checkout_moves_the_checkout_counter_and_its_holds_the_hold_counter()
    {
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(OmsMeters.MeterName).AddInMemoryExporter(exported).Build()!;
        using var http = _api.CreateAdminClient();
        var kit = new PromiseKit(http);
        var warehouse = await kit.Location("warehouse", -20.5, -150.5, "UTC", null, null, []);
        var sku = Network.Unique("BAG");
        await kit.Stock(warehouse, sku, 3);
        await kit.Visible(sku, 3);

        provider.ForceFlush();
        var before = Sum(exported, "oms.checkouts", "outcome", "created");
        exported.Clear();
        await kit.Order(sku, -20.5, -150.5, "UTC");
        provider.ForceFlush();

        // Cumulative sums: the counter after the checkout is above what it was before it.
        Assert.True(Sum(exported, "oms.checkouts", "outcome", "created") > before);
    }

    [Fact]
    public async Task Only_an_admin_scrapes_the_metrics_and_they_hold_the_business_meters()
    {
        using var admin = _api.CreateAdminClient();
        var kit = new PromiseKit(admin);
        var warehouse = await kit.Location("warehouse", -21.5, -151.5, "UTC", null, null, []);
        var sku = Network.Unique("BAG");
        await kit.Stock(warehouse, sku, 2);
        await kit.Visible(sku, 2);
        await kit.Order(sku, -21.5, -151.5, "UTC");

        var scraped = await Eventually.Until(async () => await (await admin.GetAsync("/metrics")).Content.ReadAsStringAsync(),
            text => text.Contains("oms_checkouts", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the checkout counter is exported");
        Assert.Contains("http_server_request_duration", scraped, StringComparison.Ordinal);

        using var anonymous = _api.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        var (key, _) = await Security.SecurityTestKit.Storefront(admin, "web");
        using var storefront = _api.CreateClient().WithKey(key);
        Assert.Equal(HttpStatusCode.Forbidden, (await storefront.GetAsync("/metrics")).StatusCode);
    }
}
