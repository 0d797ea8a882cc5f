using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Oms.LoadTest.Engine;
using Oms.LoadTest.Reporting;
using Oms.LoadTest.Scenarios;
using Oms.LoadTest.Seeding;

namespace Oms.LoadTest;

internal sealed class LoadTool(HttpClient http, LoadOptions options, Network network, TextWriter log)
{
    /// <returns>0; 2 when any run oversold or left a ledger that does not replay to its position (a correctness
    /// failure, not a performance figure); 3 when a run got no valid answer at all, so that a script does not
    /// report a dead server's zeros as results.</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (options.Seed)
        {
            var seeder = new StockSeeder(http, log);
            var clock = Stopwatch.StartNew();
            await seeder.EnsureLocationsAsync(network, cancellationToken).ConfigureAwait(false);
            log.WriteLine($"registered {network.LocationCount} locations in {clock.Elapsed.TotalSeconds:0.0} s");
            await seeder.SeedCatalogueAsync(network, options.SeedParallelism, cancellationToken).ConfigureAwait(false);
        }

        if (options.Scenario is null)
        {
            return 0;
        }

        var names = options.Scenario == "all" ? ScenarioCatalog.Names : [options.Scenario];
        var scenarios = names.Select(n => ScenarioCatalog.Create(n, options, network)).ToList();
        var results = new List<ScenarioResult>();
        foreach (var scenario in scenarios)
        {
            var result = await RunOneAsync(scenario, cancellationToken).ConfigureAwait(false);
            log.WriteLine(Report.Line(result));
            results.Add(result);
        }

        if (options.Markdown is { } path)
        {
            await Report.AppendMarkdownAsync(path, results, cancellationToken).ConfigureAwait(false);
        }

        return results.Any(r => r.Incorrect) ? 2
            : results.Any(r => r.Skipped is null && r.Ok + r.Refused == 0) ? 3
            : 0;
    }

    // Minted keys by role, so that a run of several scenarios creates one key per role, not one per scenario.
    private readonly Dictionary<string, AuthenticationHeaderValue> _minted = new(StringComparer.Ordinal);

    /// <summary>What the measured requests authenticate with: a key of the scenario's role minted for this run (a
    /// storefront key, channels web and app, unless the scenario is a warehouse's), the one given, or null to send
    /// the client's default (--key). Setup and read-back always use --key.</summary>
    private async Task<AuthenticationHeaderValue?> TrafficKeyAsync(string role, CancellationToken cancellationToken)
    {
        if (!options.MintStorefrontKey)
        {
            return options.TrafficKey is { } given ? new AuthenticationHeaderValue("Bearer", given) : null;
        }

        if (_minted.TryGetValue(role, out var known))
        {
            return known;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        // Only a storefront key is bound to channels; the API refuses channels on any other role.
        var body = new CreateApiKeyBody($"load test {options.RunTag} {role}", role, role == "storefront" ? ["web", "app"] : []);
        using var response = await http.PostAsJsonAsync("/api/v1/api-keys", body, LoadJson.Default.CreateApiKeyBody, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new SeedException($"POST /api/v1/api-keys answered {(int)response.StatusCode} (--mint-storefront-key needs an admin --key): " +
                await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false));
        }

        var issued = await response.Content.ReadFromJsonAsync(LoadJson.Default.ApiKeyIssuedResponse, timeout.Token).ConfigureAwait(false)
            ?? throw new SeedException("POST /api/v1/api-keys answered an empty body.");
        // The key id only: the secret is never printed.
        log.WriteLine($"measured requests authenticate with {role} key {issued.ApiKey.KeyId}, created for this run");
        return _minted[role] = new AuthenticationHeaderValue("Bearer", issued.Key);
    }

    private async Task<ScenarioResult> RunOneAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        var context = new ScenarioContext(http, options, network, log);
        if (await scenario.PrepareAsync(context, cancellationToken).ConfigureAwait(false) is { } skipped)
        {
            return ScenarioResult.FromSkip(scenario.Label, ScenarioResult.DescribeModel(options), skipped);
        }

        // A scenario that can build only so many requests ends like a run given --requests.
        var run = scenario.RequestLimit is { } limit && limit < (options.Requests ?? long.MaxValue) ? options with { Requests = limit } : options;
        var trafficKey = await TrafficKeyAsync(scenario.TrafficRole, cancellationToken).ConfigureAwait(false);
        log.WriteLine($"{scenario.Label}: {ScenarioResult.DescribeModel(run)}, warm-up {run.Warmup.TotalSeconds:0.#} s, " +
            $"measuring {run.Duration.TotalSeconds:0.#} s{(run.Requests is { } n ? $" or {n} requests" : "")}");
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var recorder = await new LoadRunner(http, run, trafficKey).RunAsync(scenario, cancellationToken).ConfigureAwait(false);
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        var verdict = await scenario.VerifyAsync(context, cancellationToken).ConfigureAwait(false);
        return ScenarioResult.FromRun(scenario.Label, run, recorder, cpu, verdict);
    }
}
