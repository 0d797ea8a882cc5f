using System.Diagnostics;
using System.Globalization;
using Oms.Benchmarks.Grains;
using Oms.Benchmarks.Infrastructure;
using Oms.Contracts.Orders;

namespace Oms.Benchmarks.Orders;

/// <summary>
/// How far order search lags behind the order grains (issue #15): several writers each place an order, and the lag
/// is the time from the checkout's acknowledgement to the order showing in a search for its number, polled every
/// millisecond or so. The writers keep the feed busy, so this is lag under checkout load, not on an idle system.
/// A latency distribution, so a plain loop, not BenchmarkDotNet.
/// </summary>
public static class SearchLagBenchmark
{
    private const string Sku = "BENCH-SEARCH-LAG";

    public static async Task RunAsync(int samples, int writers, bool postgres, TextWriter log)
    {
        await using var database = postgres ? await BenchmarkDatabase.StartAsync("oms_bench_search_lag") : null;
        await using var cluster = await BenchmarkCluster.StartAsync(new BenchmarkClusterSettings(database?.ConnectionString));
        await cluster.SeedAsync(Sku);
        await cluster.WaitForAvailabilityAsync(Sku);
        var index = cluster.Grains.GetGrain<IOrderIndexGrain>(0);
        await index.Keep();

        var lags = new List<double>(samples);
        var gate = new Lock();
        var next = -20 * writers;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            while (true)
            {
                var n = Interlocked.Increment(ref next);
                if (n > samples)
                {
                    return;
                }

                var orderId = string.Create(CultureInfo.InvariantCulture, $"bench-lag-{writer}-{n + 20 * writers}");
                var placed = await cluster.Grains.GetGrain<IOrderGrain>(orderId).Place(new PlaceOrder(
                    OrderChannel.Web, new Customer($"bench-lag-{writer}", "lag@example.com", "Lag Bench"), [new OrderLine("1", Sku, 1, 100m, "EUR")],
                    new Delivery(DeliveryMethod.ShipToHome, new DeliveryAddress("1 Main St", "Paris", "75001", "FR", 48.86, 2.34), null), null));
                if (placed.Outcome != PlaceOrderOutcome.Created)
                {
                    throw new InvalidOperationException($"Order {orderId} was {placed.Outcome}.");
                }

                var clock = Stopwatch.StartNew();
                while ((await index.Search(new OrderQuery(1, Q: orderId))).Items.Count == 0)
                {
                    if (clock.Elapsed > TimeSpan.FromSeconds(30))
                    {
                        throw new TimeoutException($"Order {orderId} never showed in search.");
                    }

                    await Task.Delay(1);
                }

                if (n > 0)
                {
                    lock (gate)
                    {
                        lags.Add(clock.Elapsed.TotalMilliseconds);
                    }
                }
            }
        }));

        lags.Sort();
        log.WriteLine($"order search lag, {(postgres ? "PostgreSQL (fsync off)" : "in memory")}, {lags.Count} orders after warm-up, {writers} writers placing one-line orders");
        log.WriteLine("| Measured from | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |");
        log.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| the checkout acknowledged | {lags[lags.Count / 2]:0.00} | {lags[lags.Count * 9 / 10]:0.00} | {lags[Math.Min(lags.Count - 1, lags.Count * 99 / 100)]:0.00} | {lags[^1]:0.00} |"));
    }
}
