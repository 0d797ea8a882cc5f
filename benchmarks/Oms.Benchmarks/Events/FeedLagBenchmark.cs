using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oms.Benchmarks.Grains;
using Oms.Benchmarks.Http;
using Oms.Benchmarks.Infrastructure;
using Oms.Contracts.Orders;

namespace Oms.Benchmarks.Events;

/// <summary>
/// Feed lag on an idle system: a consumer long-polls <c>GET /api/v1/events</c> over real HTTP (Kestrel on
/// loopback), a care agent adds a note to an order, and the lag is the time from the note's request leaving
/// the client to the long-poll answering with its event. One change at a time, so nothing queues: this is the
/// floor a consumer sees, not throughput. A latency distribution, so a plain loop, not BenchmarkDotNet.
/// </summary>
public static class FeedLagBenchmark
{
    private const string Sku = "BENCH-FEED-LAG";

    public static async Task RunAsync(int samples, bool postgres, TextWriter log)
    {
        await using var database = postgres ? await BenchmarkDatabase.StartAsync("oms_bench_feed_lag") : null;
        await using var cluster = await BenchmarkCluster.StartAsync(new BenchmarkClusterSettings(database?.ConnectionString));
        await cluster.SeedAsync(Sku);
        await cluster.WaitForAvailabilityAsync(Sku);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await using var api = AuthenticationOverheadBenchmarks.Host(cluster, baseline: false, kestrel: true);
        using var http = api.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuthenticationOverheadBenchmarks.AdminKey);
        http.Timeout = TimeSpan.FromSeconds(60);

        var placed = await cluster.Grains.GetGrain<IOrderGrain>("bench-feed-lag").Place(new PlaceOrder(
            OrderChannel.Web, new Customer("bench-customer", null, null), [new OrderLine("1", Sku, 1, 100m, "EUR")],
            new Delivery(DeliveryMethod.ShipToHome, new DeliveryAddress("1 Main St", "Paris", "75001", "FR", 48.86, 2.34), null), null));
        if (placed.Outcome != PlaceOrderOutcome.Created)
        {
            throw new InvalidOperationException($"The benchmark's order was {placed.Outcome}.");
        }

        var next = await Head(http);
        var fromRequest = new List<double>(samples);
        var fromAcknowledgement = new List<double>(samples);
        for (var i = -20; i < samples; i++)
        {
            var poll = http.GetAsync($"/api/v1/events?after={next}&wait=30&types=order.noteAdded");
            // The poll is parked on the server before the change is made, as a waiting consumer's would be.
            await Task.Delay(20);
            var clock = Stopwatch.StartNew();
            using (var note = await http.PostAsJsonAsync("/api/v1/orders/bench-feed-lag/notes", new { text = $"note {i}" }))
            {
                note.EnsureSuccessStatusCode();
            }

            var acknowledged = clock.Elapsed.TotalMilliseconds;
            using var response = await poll;
            var seen = clock.Elapsed.TotalMilliseconds;
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if (page["events"]!.AsArray().Count == 0)
            {
                throw new InvalidOperationException("The long-poll answered without the note's event.");
            }

            next = (long)page["next"]!;
            if (i >= 0)
            {
                fromRequest.Add(seen);
                fromAcknowledgement.Add(Math.Max(0, seen - acknowledged));
            }
        }

        log.WriteLine($"feed lag, idle, {(postgres ? "PostgreSQL (fsync off)" : "in memory")}, {samples} samples after 20 warm-up, HTTP long-poll over Kestrel on loopback");
        log.WriteLine("| Measured from | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |");
        log.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        Row("the note's request sent", fromRequest);
        Row("the note acknowledged", fromAcknowledgement);

        void Row(string label, List<double> values)
        {
            values.Sort();
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | {values[values.Count / 2]:0.00} | {values[values.Count * 9 / 10]:0.00} | {values[Math.Min(values.Count - 1, values.Count * 99 / 100)]:0.00} | {values[^1]:0.00} |"));
        }
    }

    private static async Task<long> Head(HttpClient http)
    {
        long after = 0;
        while (true)
        {
            var page = JsonNode.Parse(await http.GetStringAsync($"/api/v1/events?after={after}&limit=1000"))!;
            after = (long)page["next"]!;
            if (page["events"]!.AsArray().Count < 1000)
            {
                return after;
            }
        }
    }
}
