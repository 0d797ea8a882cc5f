using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Oms.Api.Demo;

namespace Oms.Benchmarks.Http;

/// <summary>
/// What each page of care's console (issue #15) waits for: the API as <c>dotnet run --project src/Api -- --seed-demo</c>
/// runs it (a silo cohosted in the process, in memory, the demo network and its orders), over real Kestrel on
/// loopback, with the care and store keys the demo printed. Each page's calls are issued as the console issues them,
/// the independent ones in parallel, and the page's figure is the wall time until its last answer is read in full.
/// <c>/health/live</c>, timed the same way in the same run, is the floor: what any request costs on this machine and
/// client, so a page's ratio to it is what the page itself adds. A latency distribution, so a plain loop, not
/// BenchmarkDotNet.
/// </summary>
public static class ConsolePagesBenchmark
{
    /// <summary>Not counted: tiered JIT and the first activations settle in these.</summary>
    private const int WarmUpIterations = 50;

    /// <summary>A SKU the demo's Paris boutique and warehouses carry, as an agent would look it up.</summary>
    private const string Sku = "BAG-001";

    private sealed record Page(string Name, string Calls, HttpClient Client, string[] Paths);

    public static async Task RunAsync(int iterations, TextWriter log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, 100_000);

        var (api, keys) = await StartDemo();
        await using var _ = api;
        using var care = Client(api, keys["OMS_CARE_KEY"]);
        using var store = Client(api, keys["OMS_STORE_KEY"]);
        var order = DemoOrders.All.First(o => o.Story == DemoStory.Delivered).OrderId;
        var boutique = DemoOrders.Boutique;

        Page[] pages =
        [
            new("sign-in check (reference)", "`GET /health/live`", care, ["/health/live"]),
            new("search by email", $"`GET /api/v1/orders?email={DemoOrders.SearchEmail}`", care, [$"/api/v1/orders?email={DemoOrders.SearchEmail}"]),
            new("search by text", "`GET /api/v1/orders?q=DEMO-10`", care, ["/api/v1/orders?q=DEMO-10"]),
            new("order", $"`GET /api/v1/orders/{order}` ∥ `…/events`", care, [$"/api/v1/orders/{order}", $"/api/v1/orders/{order}/events"]),
            new("stock lookup", $"`GET /api/v1/availability/{Sku}?view=online` ∥ `?view=store` ∥ `GET /api/v1/boutiques/{boutique}/stock?limit=50`", care,
                [$"/api/v1/availability/{Sku}?view=online", $"/api/v1/availability/{Sku}?view=store", $"/api/v1/boutiques/{boutique}/stock?limit=50"]),
            new("boutique queue (store key)", $"`GET /api/v1/locations/{boutique}/fulfilments` ∥ `GET /api/v1/returns?locationId={boutique}`", store,
                [$"/api/v1/locations/{boutique}/fulfilments", $"/api/v1/returns?locationId={boutique}"]),
            new("attention queue", "`GET /api/v1/orders?needsAttention=true&sort=oldest`", care, ["/api/v1/orders?needsAttention=true&sort=oldest"]),
        ];

        // Every page answers, and answers something, before anything is timed.
        foreach (var page in pages)
        {
            foreach (var path in page.Paths)
            {
                var body = await Read(page.Client, path);
                if (path.Contains("/orders?", StringComparison.Ordinal) && !body.Contains("DEMO-", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"{path} found no demo order: {body}");
                }
            }
        }

        var times = pages.ToDictionary(p => p.Name, _ => new List<double>(iterations));
        for (var i = -WarmUpIterations; i < iterations; i++)
        {
            // Rotated, so no page always follows the same one (and its garbage, or its warm connections).
            for (var k = 0; k < pages.Length; k++)
            {
                var page = pages[(k + Math.Max(i, 0)) % pages.Length];
                var started = Stopwatch.GetTimestamp();
                await Task.WhenAll(page.Paths.Select(p => Read(page.Client, p)));
                if (i >= 0)
                {
                    times[page.Name].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        }

        var live = Stats(times[pages[0].Name]);
        log.WriteLine($"care console pages over Kestrel on loopback, the demo (--seed-demo, in memory, cohosted silo), {iterations} iterations after {WarmUpIterations} warm-up; " +
            $"order page on {order}, stock on {Sku}");
        log.WriteLine("| Page | Calls (∥ = in parallel) | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | p50 ÷ live | p99 ÷ live | under 50 ms |");
        log.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var page in pages)
        {
            var s = Stats(times[page.Name]);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {page.Name} | {page.Calls} | {s.P50:0.00} | {s.P95:0.00} | {s.P99:0.00} | {s.Max:0.00} | {s.P50 / live.P50:0.0}× | {s.P99 / live.P99:0.0}× | {(s.Max < 50 ? "yes, every time" : s.P99 < 50 ? "p99 yes; max no" : "no")} |"));
        }
    }

    private static (double P50, double P95, double P99, double Max) Stats(List<double> samples)
    {
        var sorted = samples.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return (At(0.50), At(0.95), At(0.99), sorted[^1]);
    }

    /// <summary>
    /// The demo, ready, and the keys it printed: read from standard output as an agent reads them, and kept out of the
    /// report.
    /// </summary>
    internal static async Task<(WebApplicationFactory<global::Program> Api, Dictionary<string, string> Keys)> StartDemo()
    {
        var printed = new StringWriter();
        var stdout = Console.Out;
        Console.SetOut(printed);
        try
        {
            var api = Host();
            using var probe = api.CreateClient();
            await UntilReady(probe);
            return (api, Regex.Matches(printed.ToString(), @"export (OMS_[A-Z]+_KEY)=(\S+)").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value));
        }
        finally
        {
            Console.SetOut(stdout);
        }
    }

    /// <summary>The process <c>--seed-demo</c> starts, but on free ports: a demo may already hold the default ones.</summary>
    private static WebApplicationFactory<global::Program> Host()
    {
        var factory = new WebApplicationFactory<global::Program>().WithWebHostBuilder(web =>
        {
            web.UseUrls("http://127.0.0.1:0");
            web.UseEnvironment("Production");
            web.UseSetting("Oms:SeedDemo", "true");
            web.UseSetting("Orleans:SiloPort", FreePort().ToString(CultureInfo.InvariantCulture));
            web.UseSetting("Orleans:GatewayPort", FreePort().ToString(CultureInfo.InvariantCulture));
            web.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        });
        factory.UseKestrel();
        factory.StartServer();
        return factory;
    }

    private static async Task UntilReady(HttpClient probe)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var ready = await probe.GetAsync("/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException("The demo never became ready.");
            }

            await Task.Delay(100);
        }
    }

    internal static HttpClient Client(WebApplicationFactory<global::Program> api, string key)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>The whole body, as a page must have it before it can render.</summary>
    private static async Task<string> Read(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK
            ? body
            : throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
