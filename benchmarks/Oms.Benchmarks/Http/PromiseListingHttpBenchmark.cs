using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Oms.Api.Demo;

namespace Oms.Benchmarks.Http;

/// <summary>
/// Issue #16's listing-page target: <c>POST /api/v1/promise/query</c> for 50 SKUs at no less than half the rate of a
/// single availability read. The demo as <c>--seed-demo</c> runs it (cohosted silo, in memory, its carriers), over
/// Kestrel on loopback, with the demo's storefront key. Closed loop: <c>concurrency</c> clients keep one request each
/// in flight; the two paths alternate in blocks of equal length, so drift on this noisy machine falls on both, and
/// each path's rate is the median of its blocks. The availability of the same 50 SKUs is measured beside them, so
/// what the promise adds to answering for 50 products at all shows apart.
/// </summary>
public static class PromiseListingHttpBenchmark
{
    public const int ListingSkus = 50;

    public static async Task RunAsync(int pairs, TimeSpan block, int concurrency, TextWriter log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);

        var (api, keys) = await ConsolePagesBenchmark.StartDemo();
        await using var _ = api;
        using var client = ConsolePagesBenchmark.Client(api, keys["OMS_STOREFRONT_KEY"]);
        var skus = DemoNetwork.Stock().Select(s => s.Sku).Distinct().Take(ListingSkus).ToList();
        var listing = $$"""{"skus":[{{string.Join(",", skus.Select(s => $"\"{s}\""))}}],"destination":{"countryCode":"FR","postalCode":"75008","latitude":48.87,"longitude":2.31} }""";
        var availability = $"/api/v1/availability/{skus[0]}";

        Func<Task> read = () => Send(client, HttpMethod.Get, availability, null);
        Func<Task> promise = () => Send(client, HttpMethod.Post, "/api/v1/promise/query", listing);
        var skuList = $"{{\"skus\":[{string.Join(",", skus.Select(s => $"\"{s}\""))}]}}";
        Func<Task> many = () => Send(client, HttpMethod.Post, "/api/v1/availability/query", skuList);
        var answer = await (await client.PostAsync("/api/v1/promise/query", new StringContent(listing, Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync();
        var promised = Regex.Matches(answer, "\"earliestDelivery\"").Count;
        if (promised < ListingSkus / 2)
        {
            throw new InvalidOperationException($"only {promised} of {ListingSkus} SKUs were promised: {answer}");
        }

        // Warm-up: tiered JIT, connections, the caches' first loads.
        await Block(read, TimeSpan.FromSeconds(2), concurrency);
        await Block(promise, TimeSpan.FromSeconds(2), concurrency);

        var reads = new List<double>();
        var promises = new List<double>();
        var manys = new List<double>();
        for (var pair = 0; pair < pairs; pair++)
        {
            // Alternating which goes first, so neither always follows the other's garbage.
            if (pair % 2 == 0)
            {
                reads.Add(await Block(read, block, concurrency));
                promises.Add(await Block(promise, block, concurrency));
                manys.Add(await Block(many, block, concurrency));
            }
            else
            {
                manys.Add(await Block(many, block, concurrency));
                promises.Add(await Block(promise, block, concurrency));
                reads.Add(await Block(read, block, concurrency));
            }
        }

        var r = Median(reads);
        var p = Median(promises);
        log.WriteLine($"listing promise vs availability read over Kestrel on loopback, the demo (--seed-demo, in memory, cohosted silo), " +
            $"{pairs} pairs of {block.TotalSeconds:0.#} s blocks, {concurrency} clients; {promised} of {ListingSkus} SKUs promised");
        log.WriteLine("| Path | requests/s (median of blocks) | min | max | ratio to the availability read |");
        log.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `GET {availability}` | {r:0} | {reads.Min():0} | {reads.Max():0} | 1.00× |"));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `POST /api/v1/promise/query`, {ListingSkus} SKUs | {p:0} | {promises.Min():0} | {promises.Max():0} | {p / r:0.00}× |"));
        var m = Median(manys);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `POST /api/v1/availability/query`, the same {ListingSkus} SKUs (reference) | {m:0} | {manys.Min():0} | {manys.Max():0} | {m / r:0.00}× |"));
    }

    private static async Task<double> Block(Func<Task> call, TimeSpan length, int concurrency)
    {
        var count = 0L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (clock.Elapsed < length)
            {
                await call();
                Interlocked.Increment(ref count);
            }
        }));
        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task Send(HttpClient client, HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
