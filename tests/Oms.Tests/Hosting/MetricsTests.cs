using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>
    /// The checkouts this cluster's silos counted, by outcome. A listener on their own meters rather than an exporter on
    /// the meter's name: the suite runs other clusters in this process at the same time, and their silos' meters share
    /// the name.
    /// </summary>
    private sealed class CheckoutCount : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _created;

        public CheckoutCount(IEnumerable<Meter> meters)
        {
            var ours = meters.ToHashSet();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ours.Contains(instrument.Meter) && instrument.Name == "oms.checkouts")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "outcome" && Equals(tag.Value, "created"))
                    {
                        Interlocked.Add(ref _created, value);
                    }
                }
            });
            _listener.Start();
        }

        public long Created => Interlocked.Read(ref _created);

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task A_checkout_moves_the_checkout_counter_once()
    {
        using var count = new CheckoutCount(_cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<OmsMeters>().Meter));
        using var http = _api.CreateAdminClient();
        var kit = new PromiseKit(http);
        var warehouse = await kit.Location("warehouse", -20.5, -150.5, "UTC", null, null, []);
        var sku = Network.Unique("BAG");
        await kit.Stock(warehouse, sku, 3);
        await kit.Visible(sku, 3);

        Assert.Equal(0, count.Created);
        await kit.Order(sku, -20.5, -150.5, "UTC");
        Assert.Equal(1, count.Created);
    }

    /// <summary>Through the OpenTelemetry SDK as an operator's pipeline reads it: the counter is exported with its outcome.</summary>
    [Fact]
    public async Task The_in_memory_exporter_sees_the_checkout_counter_with_its_outcome()
    {
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(OmsMeters.MeterName).AddInMemoryExporter(exported).Build()!;
        using var http = _api.CreateAdminClient();
        var kit = new PromiseKit(http);
        var warehouse = await kit.Location("warehouse", -22.5, -152.5, "UTC", null, null, []);
        var sku = Network.Unique("BAG");
        await kit.Stock(warehouse, sku, 3);
        await kit.Visible(sku, 3);
        await kit.Order(sku, -22.5, -152.5, "UTC");
        provider.ForceFlush();

        var outcomes = new List<object?>();
        foreach (var metric in exported.Where(m => m.Name == "oms.checkouts"))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var tag in point.Tags)
                {
                    outcomes.Add(tag.Value);
                }
            }
        }

        Assert.Contains("created", outcomes);
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
