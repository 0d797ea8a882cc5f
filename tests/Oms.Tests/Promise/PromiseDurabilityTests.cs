using System.Net;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Promise;

/// <summary>Carriers, a shipment's promise and its judgment, and the metrics' projection, across a whole cluster restart on PostgreSQL.</summary>
[Collection("postgres")]
public sealed class PromiseDurabilityTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Carriers_promises_and_the_metrics_survive_a_restart_and_no_delivery_is_counted_twice()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_promise");
        var serviceId = Network.Unique("svc");
        var zone = PromiseKit.Daytime();
        var today = PromiseKit.Today(zone);
        var metrics = $"/api/v1/metrics/promise?from={today.AddDays(-1):yyyy-MM-dd}&to={today.AddDays(1):yyyy-MM-dd}";
        string carrier, orderId;

        await using (var first = await TestClusters.StartAsync(connectionString, serviceId))
        await using (var api = ApiFixture.AttachedTo(first))
        {
            using var http = api.CreateAdminClient();
            var kit = new PromiseKit(http);
            carrier = await kit.Carrier(PromiseKit.Service("sameDay", new Dictionary<string, int> { ["default"] = 0 }));
            var warehouse = await kit.Location("warehouse", 10, 10, zone.Id, "23:59", 0, [(carrier, "sameDay")]);
            await kit.Stock(warehouse, "BAG-1", 2);
            await kit.Visible("BAG-1", 2);
            var order = await kit.Order("BAG-1", 10.01, 10.01, zone.Id);
            orderId = (string)order["orderId"]!;
            await kit.Report(orderId, "F1", new { eventId = "ship-1", type = "shipped" });
            await kit.Report(orderId, "F1", new { eventId = "deliver-1", type = "delivered" });
            var counted = await Eventually.Until(async () => await PromiseKit.Json(await http.GetAsync(metrics)),
                m => (int)m["deliveries"]!["delivered"]! == 1, TimeSpan.FromSeconds(20), "the delivery projected");
            Assert.Equal(1, (int)counted["deliveries"]!["onTime"]!);
        }

        await using var second = await TestClusters.StartAsync(connectionString, serviceId);
        await using var again = ApiFixture.AttachedTo(second);
        using var after = again.CreateAdminClient();
        Assert.Equal(HttpStatusCode.OK, (await after.GetAsync($"/api/v1/carriers/{carrier}")).StatusCode);
        var fulfilment = (await PromiseKit.Json(await after.GetAsync($"/api/v1/orders/{orderId}")))["fulfilments"]![0]!;
        Assert.Equal(today.ToString("yyyy-MM-dd"), (string)fulfilment["promisedDelivery"]!["earliestDelivery"]!);
        Assert.Equal("onTime", (string)fulfilment["promiseResult"]!["outcome"]!);
        // The projection resumes from its stored cursor over the same feed: the delivery is still counted once.
        var resumed = await PromiseKit.Json(await after.GetAsync(metrics));
        Assert.Equal(1, (int)resumed["deliveries"]!["delivered"]!);
    }
}
