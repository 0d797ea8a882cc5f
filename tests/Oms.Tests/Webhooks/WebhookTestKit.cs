using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Oms.Contracts.Events;
using Oms.Grains.Events;
using Oms.Grains.Hosting;
using Oms.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Oms.Tests.Webhooks;

/// <summary>
/// Real two-silo clusters wired as production wires them (<see cref="OmsHosting.AddOmsGrains"/>), with webhook
/// settings a test can shorten: a retry schedule of seconds, a one-second sweep, internal targets allowed.
/// </summary>
public static class WebhookClusters
{
    /// <summary>Eight retries within about five seconds: long enough for a receiver to come back, short enough to dead-letter in a test.</summary>
    public const string ShortSchedule = "00:00:00.200,00:00:00.300,00:00:00.500,00:00:00.500,00:00:01,00:00:01,00:00:01,00:00:01";

    public static async Task<InProcessTestCluster> StartAsync(
        string? connectionString = null, string? serviceId = null, bool allowInsecure = true, string schedule = ShortSchedule,
        IDictionary<string, string?>? extra = null, Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder(2);
        if (serviceId is not null)
        {
            builder.Options.ServiceId = serviceId;
        }

        var settings = new Dictionary<string, string?>
        {
            ["Oms:ClickAndCollect:ProfileRefresh"] = TestClusters.ProfileRefresh.ToString(),
            ["Oms:Webhooks:AllowInsecureTargets"] = allowInsecure ? "true" : "false",
            ["Oms:Webhooks:RetrySchedule"] = schedule,
            ["Oms:Webhooks:SweepInterval"] = "00:00:01",
        };
        if (connectionString is not null)
        {
            settings["ConnectionStrings:Oms"] = connectionString;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddOmsGrains(configuration);
            configure?.Invoke(silo);
        });

        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>The real API in front of the cluster, with internal targets allowed (the receivers listen on loopback).</summary>
    public static WebApplicationFactory<Program> Api(InProcessTestCluster cluster, bool allowInsecure = true) =>
        ApiFixture.AttachedTo(cluster).WithWebHostBuilder(web => web.UseSetting("Oms:Webhooks:AllowInsecureTargets", allowInsecure ? "true" : "false"));

    public static IEventStore Feed(this InProcessTestCluster cluster) =>
        cluster.Silos.First().ServiceProvider.GetRequiredService<IEventStore>();
}

/// <summary>One POST as a receiver saw it.</summary>
public sealed record Received(string Path, IHeaderDictionary Headers, string Body, DateTimeOffset At)
{
    /// <summary>What the receiver answered.</summary>
    public int Status { get; set; }

    public string Id => Headers["webhook-id"].ToString();

    public JsonNode Event => JsonNode.Parse(Body)!;
}

/// <summary>
/// A real HTTP receiver on 127.0.0.1 (Kestrel on a free port): it records every request and answers as the test's
/// <see cref="Answer"/> says (204 by default), or is not listening at all while <see cref="Down"/>.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private WebApplication? _app;
    private CancellationTokenSource _stopping = new();
    private int _port;

    /// <summary>How long the receiver sits on each request before answering (a slow or hung receiver).</summary>
    public TimeSpan Hang { get; set; }

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Decides the answer to each request: a status, and optionally headers.</summary>
    public Func<Received, (int Status, IDictionary<string, string>? Headers)> Answer { get; set; } = _ => (204, null);

    public string Url(string path = "/hook") => $"http://127.0.0.1:{_port}{path}";

    public static async Task<Receiver> StartAsync(int port = 0)
    {
        var receiver = new Receiver();
        await receiver.Up(port);
        return receiver;
    }

    /// <summary>Listens (again, on the same port after <see cref="Down"/>).</summary>
    public async Task Up(int port = -1)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port >= 0 ? port : _port));
        var app = builder.Build();
        app.Map("/{**path}", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = new HeaderDictionary();
            foreach (var (key, value) in http.Request.Headers)
            {
                headers[key] = value;
            }

            var received = new Received(http.Request.Path, headers, body, DateTimeOffset.UtcNow);
            Requests.Enqueue(received);
            if (Hang > TimeSpan.Zero)
            {
                await Task.WhenAny(Task.Delay(Hang, _stopping.Token));
            }

            var (status, extra) = Answer(received);
            received.Status = status;
            foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            {
                http.Response.Headers[key] = value;
            }

            http.Response.StatusCode = status;
        });
        await app.StartAsync();
        _port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    /// <summary>Stops listening: connections are refused until <see cref="Up"/>.</summary>
    public async Task Down()
    {
        if (_app is { } app)
        {
            _app = null;
            await _stopping.CancelAsync();
            _stopping = new CancellationTokenSource();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await Down();
}

public static class WebhookApi
{
    public static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    /// <returns>The id and secret of a new subscription.</returns>
    public static async Task<(string Id, string Secret)> Subscribe(HttpClient http, string url, params string[] events)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/webhooks", new { url, events = events.Length == 0 ? ["*"] : events, description = "test" });
        var json = await Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {json}");
        return ((string)json["webhookId"]!, (string)json["secret"]!);
    }

    public static async Task<JsonArray> Deliveries(HttpClient http, string webhookId, string? status = null)
    {
        var all = new JsonArray();
        string? cursor = null;
        do
        {
            var url = $"/api/v1/webhooks/{webhookId}/deliveries?limit=500{(status is null ? "" : $"&status={status}")}{(cursor is null ? "" : $"&cursor={cursor}")}";
            var page = await Json(await http.GetAsync(url));
            foreach (var d in page["deliveries"]!.AsArray())
            {
                all.Add(d!.DeepClone());
            }

            cursor = page["next"]?.ToString();
        }
        while (cursor is not null);

        return all;
    }

    /// <summary>Appends events straight to the real feed, as the outbox relay does: many events, exactly the subjects and
    /// sequences a test needs, without placing an order for each.</summary>
    public static async Task<IReadOnlyList<FeedEvent>> Emit(IEventStore feed, params (string Type, string Subject, long Sequence)[] events) =>
        await feed.Append([.. events.Select(e => new OutboxEvent(Guid.NewGuid(), e.Type, e.Subject, e.Sequence, DateTimeOffset.UtcNow,
            JsonSerializer.Serialize(new { subject = e.Subject, sequence = e.Sequence })))]);
}
