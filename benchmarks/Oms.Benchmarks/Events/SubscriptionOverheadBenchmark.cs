using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Oms.Benchmarks.Grains;
using Oms.Benchmarks.Http;
using Oms.Benchmarks.Infrastructure;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Orders;
using Oms.Contracts.Stock;

namespace Oms.Benchmarks.Events;

/// <summary>
/// What a webhook subscription costs the write paths, measured side by side in one process: blocks of direct holds
/// (and of 3-line checkouts) alternate, ABBA, between no subscription and a live one (<c>stock.*</c> for holds,
/// <c>order.*</c> for checkouts) delivering to a receiver on loopback that answers 204. The subscription is
/// created before its block and deleted after it (a new one starts at the feed's head, so no block inherits a
/// backlog). The ratio is taken per pair of adjacent blocks, whose machine load is nearly the same, and the
/// median reported. Holds emit no event (stock far from zero), so their cost is the pump's; every checkout emits
/// order.placed, so theirs includes its signed delivery.
/// </summary>
public static class SubscriptionOverheadBenchmark
{
    private const int WarmUpPairs = 5;
    private static readonly string[] Skus = ["BENCH-SUB-BAG", "BENCH-SUB-SCARF", "BENCH-SUB-SHOE"];
    private static readonly string HoldSku = "BENCH-SUB-HOLD";
    private static readonly string Location = BenchmarkCluster.Locations[0].LocationId;

    public static async Task RunAsync(int pairs, int perBlock, TextWriter log)
    {
        var settings = new Dictionary<string, string?> { ["Oms:Webhooks:AllowInsecureTargets"] = "true" };
        await using var receiver = await Receiver();
        await using var cluster = await BenchmarkCluster.StartAsync(new BenchmarkClusterSettings(Settings: settings));
        foreach (var sku in Skus.Append(HoldSku))
        {
            await cluster.SeedAsync(sku);
            await cluster.WaitForAvailabilityAsync(sku);
        }

        await cluster.Grains.GetGrain<INetworkGrain>(0).GetAvailability(Skus[0], AvailabilityView.Online);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await using var api = AuthenticationOverheadBenchmarks.Host(cluster, baseline: false, kestrel: false, settings);
        using var admin = api.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuthenticationOverheadBenchmarks.AdminKey);
        var hookUrl = $"{receiver.Urls.First()}/hook";

        var order = new PlaceOrder(
            OrderChannel.Web, new Customer("bench-customer", null, null),
            [.. Skus.Select((sku, i) => new OrderLine($"{i + 1}", sku, 1, 100m, "EUR"))],
            new Delivery(DeliveryMethod.ShipToHome, new DeliveryAddress("1 Main St", "Paris", "75001", "FR", 48.86, 2.34), null),
            null);
        long sequence = 0;
        var item = cluster.Grains.GetGrain<IStockItemGrain>(Oms.Contracts.Ids.StockItemKey(Location, HoldSku));

        async Task Hold()
        {
            var result = await item.PlaceHold($"h{Interlocked.Increment(ref sequence)}", 1, DateTimeOffset.UtcNow.AddSeconds(1));
            if (result.Outcome != HoldOutcome.Held)
            {
                throw new InvalidOperationException($"A hold was {result.Outcome}.");
            }
        }

        async Task Checkout()
        {
            var result = await cluster.Grains.GetGrain<IOrderGrain>($"bench-sub-{Interlocked.Increment(ref sequence)}").Place(order);
            if (result.Outcome != PlaceOrderOutcome.Created)
            {
                throw new InvalidOperationException($"A checkout was {result.Outcome}: {result.Message}");
            }
        }

        log.WriteLine($"subscription overhead, in memory, one silo: {pairs} pairs of {perBlock}-call blocks per path, ABBA, after {WarmUpPairs} warm-up pairs; receiver on loopback");
        log.WriteLine("| Path | Subscription | No subscription median (us) | With median (us) | Median ratio (per pair) | Ratio P25-P75 | Deliveries received |");
        log.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        await Pair("direct hold (grain)", "stock.*", Hold);
        await Pair("3-line checkout (grain)", "order.*", Checkout);

        async Task Pair(string label, string pattern, Func<Task> call)
        {
            var before = Interlocked.Read(ref receiver.Received);
            var r = await PairedBlocks.Run(pairs, WarmUpPairs, () => PairedBlocks.Time(perBlock, call), () => Subscribed(pattern, call));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | {pattern} | {r.BaselineMedian:0.0} | {r.OtherMedian:0.0} | {r.MedianRatio:0.000} | {r.RatioP25:0.000}-{r.RatioP75:0.000} | {Interlocked.Read(ref receiver.Received) - before} |"));
        }

        async Task<double> Subscribed(string pattern, Func<Task> call)
        {
            using var created = await admin.PostAsJsonAsync("/api/v1/webhooks", new { url = hookUrl, events = new[] { pattern }, description = "benchmark" });
            var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
            if (created.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"Creating the subscription answered {(int)created.StatusCode}: {body}");
            }

            try
            {
                return await PairedBlocks.Time(perBlock, call);
            }
            finally
            {
                using var deleted = await admin.DeleteAsync($"/api/v1/webhooks/{(string)body["webhookId"]!}");
            }
        }
    }

    private static async Task<ReceiverHost> Receiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var host = new ReceiverHost(app);
        app.MapPost("/hook", () =>
        {
            Interlocked.Increment(ref host.Received);
            return Results.NoContent();
        });
        await app.StartAsync();
        return host;
    }

    private sealed class ReceiverHost(WebApplication app) : IAsyncDisposable
    {
        public long Received;

        public IEnumerable<string> Urls => app.Urls;

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
