using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Oms.Benchmarks.Grains;
using Oms.Benchmarks.Http;
using Oms.Benchmarks.Infrastructure;
using Oms.Contracts.ClickAndCollect;

namespace Oms.Benchmarks.Fulfilment;

/// <summary>
/// What fulfilment (issue #13) adds to an order's life over HTTP, side by side in one process: blocks of 3-line
/// ship-to-home checkouts alone alternate, ABBA (<see cref="PairedBlocks"/>), with blocks of the whole lifecycle:
/// the same checkout, then <c>accepted</c>, <c>packed</c>, <c>shipped</c> (carrier and tracking number) and
/// <c>delivered</c> on the order's first fulfilment, as a warehouse and a carrier would report them. Both go through
/// the real API (hosted as <see cref="AuthenticationOverheadBenchmarks.Host"/> hosts it, in-memory test server by
/// default or Kestrel on loopback) with the bootstrap admin key, in front of the one-silo in-memory
/// <see cref="BenchmarkCluster"/>. Calls are sequential: the figure is one client's latency, not the cluster's
/// throughput. Each fulfilment event call is also timed alone, in measured blocks only, for its p50 and p99.
/// </summary>
public static class LifecycleHttpBenchmark
{
    private const int WarmUpPairs = 10;
    private static readonly string[] Skus = ["BENCH-LIFE-BAG", "BENCH-LIFE-SCARF", "BENCH-LIFE-SHOE"];
    private static readonly string[] Events = ["accepted", "packed", "shipped", "delivered"];

    public static async Task RunAsync(int pairs, int perBlock, TextWriter log, bool kestrel = false)
    {
        await using var cluster = await BenchmarkCluster.StartAsync();
        foreach (var sku in Skus)
        {
            await cluster.SeedAsync(sku);
            await cluster.WaitForAvailabilityAsync(sku);
        }

        // As CheckoutBenchmarks: the network grain refreshes its profiles every two seconds; the first checkout must see all of them.
        await cluster.Grains.GetGrain<INetworkGrain>(0).GetAvailability(Skus[0], AvailabilityView.Online);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        await using var api = AuthenticationOverheadBenchmarks.Host(cluster, baseline: false, kestrel);
        using var admin = api.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuthenticationOverheadBenchmarks.AdminKey);

        long sequence = 0;
        var latencies = Events.ToDictionary(e => e, _ => new List<double>());
        var lifecycleBlocks = 0;

        async Task<string> Checkout(string orderId)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = Json(OrderBody(orderId)) };
            request.Headers.Add("Idempotency-Key", $"k-{orderId}");
            using var response = await admin.SendAsync(request);
            var body = await Expect(response, HttpStatusCode.Created);

            // As a client would: the fulfilment to report on is named by the order view.
            return (string)JsonNode.Parse(body)!["fulfilments"]![0]!["fulfilmentId"]!;
        }

        async Task CheckoutOnly() => await Checkout($"bench-life-{Interlocked.Increment(ref sequence)}");

        async Task Lifecycle(bool measured)
        {
            var orderId = $"bench-life-{Interlocked.Increment(ref sequence)}";
            var fulfilmentId = await Checkout(orderId);
            foreach (var type in Events)
            {
                var report = type == "shipped"
                    ? $$"""{"eventId":"{{type}}-{{orderId}}","type":"shipped","carrier":"DHL","trackingNumber":"JD{{orderId.Length}}{{sequence}}"}"""
                    : $$"""{"eventId":"{{type}}-{{orderId}}","type":"{{type}}"}""";
                var started = Stopwatch.GetTimestamp();
                using var response = await admin.PostAsync($"/api/v1/orders/{orderId}/fulfilments/{fulfilmentId}/events", Json(report));
                var body = await Expect(response, HttpStatusCode.OK);
                if (measured)
                {
                    latencies[type].Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                }

                if (type == "delivered" && !body.Contains("\"delivered\"", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"{orderId}/{fulfilmentId} after delivered: {body}");
                }
            }
        }

        // Every order completes as it should before anything is timed.
        await Lifecycle(measured: false);
        var check = JsonNode.Parse(await Expect(await admin.GetAsync($"/api/v1/orders/bench-life-{sequence}"), HttpStatusCode.OK))!;
        if ((string?)check["status"] != "completed")
        {
            throw new InvalidOperationException($"The checked order is {(string?)check["status"]}, not completed.");
        }

        log.WriteLine($"lifecycle over HTTP ({(kestrel ? "Kestrel on loopback" : "in-memory test server")}), admin key, in memory, one silo: " +
            $"{pairs} pairs of {perBlock}-order blocks, ABBA, after {WarmUpPairs} warm-up pairs; sequential calls, one client");
        var r = await PairedBlocks.Run(pairs, WarmUpPairs,
            () => PairedBlocks.Time(perBlock, CheckoutOnly),
            () =>
            {
                var measured = ++lifecycleBlocks > WarmUpPairs;
                return PairedBlocks.Time(perBlock, () => Lifecycle(measured));
            });

        log.WriteLine("| Path | Median per order (us) | Orders/s | Median ratio (per pair) | Ratio P25-P75 |");
        log.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| checkout alone (POST /api/v1/orders) | {r.BaselineMedian:0} | {1e6 / r.BaselineMedian:0} | 1.000 | |"));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| checkout + accepted + packed + shipped + delivered | {r.OtherMedian:0} | {1e6 / r.OtherMedian:0} | {r.MedianRatio:0.000} | {r.RatioP25:0.000}-{r.RatioP75:0.000} |"));
        log.WriteLine();
        log.WriteLine("| Event call (POST .../fulfilments/{id}/events) | Calls | p50 (us) | p99 (us) | p50 / checkout median |");
        log.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var type in Events.Append("all four"))
        {
            var times = (type == "all four" ? latencies.Values.SelectMany(l => l) : latencies[type]).Order().ToList();
            var p50 = Percentile(times, 0.50);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {type} | {times.Count} | {p50:0} | {Percentile(times, 0.99):0} | {p50 / r.BaselineMedian:0.000} |"));
        }
    }

    /// <summary>A customer per order: the customer grain writes its whole order list on every checkout, so one
    /// customer for thousands of orders would time that list's growth (seen in a first run).</summary>
    private static string OrderBody(string orderId) => $$"""
        {
          "orderId": "{{orderId}}", "channel": "web",
          "customer": { "customerId": "c-{{orderId}}" },
          "lines": [ {{string.Join(",", Skus.Select((sku, i) => $$"""{ "lineId": "{{i + 1}}", "sku": "{{sku}}", "quantity": 1, "unitPrice": 100.00, "currency": "EUR" }"""))}} ],
          "delivery": { "method": "shipToHome", "address": { "line1": "1 Main St", "city": "Paris", "postalCode": "75001", "countryCode": "FR", "latitude": 48.86, "longitude": 2.34 } }
        }
        """;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<string> Expect(HttpResponseMessage response, HttpStatusCode expected)
    {
        // The body is read either way, as a client would; a wrong answer stops the run rather than being timed.
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        }

        return body;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
