using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Oms.Api.Security;
using Oms.Benchmarks.Grains;
using Oms.Benchmarks.Infrastructure;
using Oms.Contracts.Orders;
using Oms.Contracts.Security;

namespace Oms.Benchmarks.Http;

/// <summary>
/// What issue #11's authentication costs a storefront request, side by side in one run: the real API in-process
/// (TestServer, no sockets) in front of a one-silo in-memory cluster, once as deployed, with a real storefront API
/// key on every request, and once as a second host of the same API whose <see cref="IPolicyEvaluator"/> is replaced
/// by one that hands every request a fixed storefront principal without authenticating or evaluating a policy.
/// The baseline sends no <c>Authorization</c> header, so the API-key handler returns at its first check. Both hosts
/// talk to the same cluster; every benchmark has its own SKU, so one's holds never lengthen another's item.
/// </summary>
/// <remarks>
/// In-process toolchain: WebApplicationFactory locates the API through the running assembly's dependency context,
/// which BenchmarkDotNet's generated out-of-process runner does not carry. Both variants share the process, so the
/// ratio is fair even if absolute figures include the harness.
/// </remarks>
[Config(typeof(Config))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MedianColumn]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class AuthenticationOverheadBenchmarks
{
    internal const string AdminKey = "bench-bootstrap-admin-key-3b9e1f6a2c4d8e7f5a1b0c9d8e7f6a5b";
    private const string ReadSku = "BENCH-AUTH-READ";
    private const string HoldSkuWithKey = "BENCH-AUTH-HOLD-KEY";
    private const string HoldSkuBaseline = "BENCH-AUTH-HOLD-BASE";

    /// <summary>As in <see cref="StockHoldBenchmarks"/>: the shortest TTL keeps each item's open and remembered
    /// holds at about one second's worth, so iterations late in the run measure what early ones did.</summary>
    private const int HoldTtlSeconds = 1;

    private static readonly string Location = BenchmarkCluster.Locations[0].LocationId;

    private BenchmarkCluster _cluster = null!;
    private WebApplicationFactory<global::Program> _authenticated = null!;
    private WebApplicationFactory<global::Program> _unauthenticated = null!;
    private HttpClient _withKey = null!;
    private HttpClient _baseline = null!;
    private HttpClient _authenticationOnly = null!;
    private HttpClient _headerOnly = null!;

    /// <summary>Paired run only; BenchmarkDotNet's cases use the in-memory test server.</summary>
    public bool OverKestrel { get; init; }
    private long _sequence;

    [GlobalSetup]
    public async Task Setup()
    {
        _cluster = await BenchmarkCluster.StartAsync();
        foreach (var sku in new[] { ReadSku, HoldSkuWithKey, HoldSkuBaseline })
        {
            await _cluster.SeedAsync(sku);
        }

        await _cluster.WaitForAvailabilityAsync(ReadSku);

        _authenticated = Host(_cluster, baseline: false, OverKestrel);
        _unauthenticated = Host(_cluster, baseline: true, OverKestrel);

        // A real storefront key, minted as an operator would, through the admin API with the bootstrap key.
        using var admin = _authenticated.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var created = await admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "benchmark storefront", role = "storefront", channels = new[] { "web", "app" } });
        var issued = await created.Content.ReadFromJsonAsync<IssuedKey>();
        if (created.StatusCode != HttpStatusCode.Created || issued?.Key is not { Length: > 0 } key)
        {
            throw new InvalidOperationException($"Creating the storefront key answered {(int)created.StatusCode}.");
        }

        _withKey = _authenticated.CreateClient();
        _withKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _baseline = _unauthenticated.CreateClient();

        // Paired run only: the key sent to the baseline host (whose cache finds it in the shared registry), so the
        // API-key handler runs in full and only the policy evaluation is skipped. Splits the cost in two.
        _authenticationOnly = _unauthenticated.CreateClient();
        _authenticationOnly.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        // Paired run only: a header of the same size that nothing reads, to the baseline host: what carrying a
        // credential costs the client and the in-memory transport, which no server-side change can remove.
        _headerOnly = _unauthenticated.CreateClient();
        _headerOnly.DefaultRequestHeaders.TryAddWithoutValidation("X-Benchmark-Ballast", $"Bearer {key}");

        // Both paths answer correctly before anything is timed; the first request also fills each host's key cache.
        await AvailabilityWithKey();
        await AvailabilityBaseline();
        await HoldWithKey();
        await HoldBaseline();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _withKey.Dispose();
        _headerOnly?.Dispose();
        _baseline.Dispose();
        _authenticationOnly.Dispose();
        await _authenticated.DisposeAsync();
        await _unauthenticated.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [BenchmarkCategory("availability"), Benchmark(Baseline = true)]
    public Task AvailabilityBaseline() => Read(_baseline);

    [BenchmarkCategory("availability"), Benchmark]
    public Task AvailabilityWithKey() => Read(_withKey);

    [BenchmarkCategory("hold"), Benchmark(Baseline = true)]
    public Task HoldBaseline() => Hold(_baseline, HoldSkuBaseline);

    [BenchmarkCategory("hold"), Benchmark]
    public Task HoldWithKey() => Hold(_withKey, HoldSkuWithKey);

    private static async Task Read(HttpClient http)
    {
        using var response = await http.GetAsync($"/api/v1/availability/{ReadSku}");
        await Expect(response, HttpStatusCode.OK);
    }

    private async Task Hold(HttpClient http, string sku)
    {
        // Fresh every time: a reused id would be answered as already held, timing the lookup instead.
        var holdId = $"h{Interlocked.Increment(ref _sequence)}";
        using var content = new StringContent($"{{\"holdId\":\"{holdId}\",\"quantity\":1,\"ttlSeconds\":{HoldTtlSeconds}}}", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"/api/v1/locations/{Location}/stock/{sku}/holds", content);
        await Expect(response, HttpStatusCode.Created);
    }

    private static async Task Expect(HttpResponseMessage response, HttpStatusCode expected)
    {
        // The body is read either way, as a client would; a wrong answer stops the run rather than being timed.
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        }
    }

    /// <summary>The API as <c>ApiFixture</c> in the tests hosts it: external hosting, handed the cluster's client.</summary>
    internal static WebApplicationFactory<global::Program> Host(BenchmarkCluster cluster, bool baseline, bool kestrel,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var factory = new WebApplicationFactory<global::Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                web.UseSetting(key, value);
            }

            if (kestrel)
            {
                web.UseUrls("http://127.0.0.1:0");
            }

            web.UseEnvironment("Production");
            web.UseSetting("Oms:Hosting", "external");
            web.UseSetting("Oms:Security:BootstrapAdminKey", AdminKey);
            web.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton(cluster.Client);
                services.AddSingleton<IGrainFactory>(cluster.Client);
                if (baseline)
                {
                    services.AddSingleton<IPolicyEvaluator, FixedStorefront>();
                    // Ahead of the whole pipeline, so the rate limiter and the audit see the same storefront actor as
                    // with a key (a request without one would fall in the anonymous, per-address bucket).
                    services.AddTransient<IStartupFilter, FixedStorefront.Filter>();
                }
            });
        });

        // Starts the host now rather than on the first timed request.
        if (kestrel)
        {
            factory.UseKestrel();
            factory.StartServer();
        }
        else
        {
            _ = factory.Server;
        }

        return factory;
    }

    /// <summary>Enough for tiered JIT to settle: with 5, the first path measured ran visibly slower than the rest.</summary>
    private const int WarmUpPairs = 50;

    /// <summary>
    /// The same four requests, interleaved (<see cref="PairedBlocks"/>): BenchmarkDotNet's cases run half a minute
    /// each, in sequence, and so see different machine loads; adjacent blocks of <paramref name="perBlock"/>
    /// requests see nearly the same.
    /// </summary>
    /// <param name="kestrel">Real Kestrel on loopback instead of the in-memory test server: what a client on the wire sees.</param>
    public static async Task RunPairedAsync(int pairs, int perBlock, TextWriter log, bool kestrel = false)
    {
        var bench = new AuthenticationOverheadBenchmarks { OverKestrel = kestrel };
        await bench.Setup();
        try
        {
            log.WriteLine($"paired run over {(kestrel ? "Kestrel on loopback" : "the in-memory test server")}: {pairs} pairs of {perBlock}-request blocks per path, ABBA order, after {WarmUpPairs} warm-up pairs");
            log.WriteLine("| Path | Baseline median (us) | With key median (us) | Median ratio (per pair) | Ratio P25-P75 |");
            log.WriteLine("| --- | ---: | ---: | ---: | ---: |");
            await Pair("GET /api/v1/availability/{sku}", bench.AvailabilityBaseline, bench.AvailabilityWithKey);
            await Pair("POST .../stock/{sku}/holds", bench.HoldBaseline, bench.HoldWithKey);
            // Key sent and authenticated, policy evaluation skipped: what the header and the API-key handler cost alone.
            await Pair("availability, authentication only", bench.AvailabilityBaseline, () => Read(bench._authenticationOnly));
            await Pair("holds, authentication only", bench.HoldBaseline, () => bench.Hold(bench._authenticationOnly, HoldSkuBaseline));
            await Pair("availability, an unread header of the key's size", bench.AvailabilityBaseline, () => Read(bench._headerOnly));
        }
        finally
        {
            await bench.Cleanup();
        }

        async Task Pair(string label, Func<Task> baseline, Func<Task> withKey)
        {
            var r = await PairedBlocks.Run(pairs, WarmUpPairs, () => PairedBlocks.Time(perBlock, baseline), () => PairedBlocks.Time(perBlock, withKey));
            log.WriteLine(System.FormattableString.Invariant(
                $"| {label} | {r.BaselineMedian:0.0} | {r.OtherMedian:0.0} | {r.MedianRatio:0.000} | {r.RatioP25:0.000}-{r.RatioP75:0.000} |"));
        }
    }

    private sealed record IssuedKey(string Key);

    /// <summary>Benchmark only: every request is this storefront, and every policy passes without evaluation.</summary>
    private sealed class FixedStorefront : IPolicyEvaluator
    {
        private static readonly ClaimsPrincipal Principal = new(new OmsIdentity(
            new Credential("key:00000000000000b0", "benchmark storefront", ApiRole.Storefront,
                new HashSet<OrderChannel> { OrderChannel.Web, OrderChannel.App }, new HashSet<string>()),
            "bench"));

        private static readonly AuthenticateResult Authenticated = AuthenticateResult.Success(new AuthenticationTicket(Principal, "bench"));

        public Task<AuthenticateResult> AuthenticateAsync(AuthorizationPolicy policy, HttpContext context)
        {
            context.User = Principal;
            return Task.FromResult(Authenticated);
        }

        public Task<PolicyAuthorizationResult> AuthorizeAsync(AuthorizationPolicy policy, AuthenticateResult authenticationResult, HttpContext context, object? resource) =>
            Task.FromResult(PolicyAuthorizationResult.Success());

        public sealed class Filter : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
            {
                app.Use((http, nextMiddleware) =>
                {
                    http.User = Principal;
                    return nextMiddleware(http);
                });
                next(app);
            };
        }
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // Few iterations of ~0.5 s: the whole class runs in a few minutes. A short, noisy job; the ratio is the figure.
            AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1)
                .WithWarmupCount(5)
                .WithIterationCount(20)
                .WithId("InProcessShort"));
        }
    }
}
