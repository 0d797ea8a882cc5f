using System.Net;
using Oms.LoadTest;
using Oms.LoadTest.Seeding;

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (UsageException ex)
{
    if (ex.Problem is null)
    {
        Console.WriteLine(LoadOptions.Usage);
        return 0;
    }

    Console.Error.WriteLine(ex.Problem);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 1;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the run cleanly (in-flight requests are abandoned); a second one kills the process.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};

if (options.Key is null)
{
    Console.Error.WriteLine("note: no --key or OMS_API_KEY: an API with authentication on answers every /api/v1 request 401.");
}

var network = new Network(options.Locations, options.Catalogue);
using var http = CreateClient(options);
var log = Console.Out;
try
{
    return await new LoadTool(http, options, network, log).RunAsync(cancellation.Token);
}
catch (Exception ex) when (ex is UsageException or SeedException or HttpRequestException or System.Text.Json.JsonException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine($"error: a setup or read-back request got no answer within {options.RequestTimeout.TotalSeconds:0.#} s (--timeout).");
    return 1;
}

static HttpClient CreateClient(LoadOptions options)
{
    var handler = new SocketsHttpHandler
    {
        // The connection pool is the closed model's concurrency; in the open model the tool's own cap binds first.
        MaxConnectionsPerServer = Math.Max(options.ConcurrencyCap, options.SeedParallelism),
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    };

    // Per-request timeouts are set by the caller, which needs to tell a timeout from a cancelled run.
    var client = new HttpClient(handler) { BaseAddress = options.Url, Timeout = Timeout.InfiniteTimeSpan };
    if (options.Key is { } key)
    {
        // A default header: a measured request that carries its own (--traffic-key) keeps that one.
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
    }

    return client;
}
