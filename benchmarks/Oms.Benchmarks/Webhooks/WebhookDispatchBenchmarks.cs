using System.Net;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Oms.Benchmarks.Infrastructure;
using Oms.Contracts.Events;
using Oms.Contracts.Webhooks;
using Oms.Grains.Events;
using Oms.Grains.Hosting;
using Oms.Grains.Webhooks;
using Orleans.TestingHost;

namespace Oms.Benchmarks.Webhooks;

/// <summary>
/// Dispatch throughput: one subscription to every event, a receiver on loopback (Kestrel, answering 204 at once),
/// and <see cref="Events"/> events appended to the real feed over <see cref="Subjects"/> subjects; one invocation
/// lasts from the first append until the receiver has every event. Per-subject ordering holds throughout, so
/// with one subject per event the pump is bound by <see cref="WebhookOptions.MaxInFlight"/> in flight; with few
/// subjects, by each subject's round trip.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5, invocationCount: 1)]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class WebhookDispatchBenchmarks
{
    public const int Events = 10_000;

    private readonly SemaphoreSlim _arrived = new(0);
    private BenchmarkDatabase? _database;
    private InProcessTestCluster _cluster = null!;
    private WebApplication _receiver = null!;
    private IEventStore _feed = null!;
    private long _received;
    private long _target;
    private int _round;

    /// <summary>Distinct subjects the events are spread over (an order each, say).</summary>
    [Params(1_000)]
    public int Subjects { get; set; }

    /// <summary>Where delivery state lives: memory, or a throwaway PostgreSQL (also the feed and grain state).</summary>
    [Params("memory", "postgres")]
    public string Store { get; set; } = "memory";

    [GlobalSetup]
    public async Task Setup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _receiver = builder.Build();
        _receiver.MapPost("/hook", (HttpContext _) =>
        {
            if (Interlocked.Increment(ref _received) == Volatile.Read(ref _target))
            {
                _arrived.Release();
            }

            return Results.NoContent();
        });
        await _receiver.StartAsync();

        var values = new Dictionary<string, string?> { ["Oms:Webhooks:AllowInsecureTargets"] = "true" };
        if (Store == "postgres")
        {
            _database = await BenchmarkDatabase.StartAsync("oms_bench_webhooks");
            values["ConnectionStrings:Oms"] = _database.ConnectionString;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var cluster = new InProcessTestClusterBuilder(1);
        cluster.ConfigureSilo((_, silo) => silo.AddOmsGrains(configuration));
        _cluster = cluster.Build();
        await _cluster.DeployAsync();
        _feed = _cluster.Silos[0].ServiceProvider.GetRequiredService<IEventStore>();
        var created = await _cluster.Client.GetGrain<IWebhookGrain>(WebhookLimits.NewId())
            .Create(new WebhookCreate($"{_receiver.Urls.First()}/hook", ["*"], "benchmark", WebhookLimits.NewSecret(), DateTimeOffset.UtcNow));
        if (created.Outcome != WebhookOutcome.Done)
        {
            throw new InvalidOperationException($"The subscription was not created: {created.Outcome}");
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task Dispatch()
    {
        var round = ++_round;
        Volatile.Write(ref _target, Volatile.Read(ref _received) + Events);
        // Appended as the outbox relay appends, in batches; every subject's sequence rises with the round.
        for (var start = 0; start < Events; start += 1_000)
        {
            await _feed.Append([.. Enumerable.Range(start, 1_000).Select(i => new OutboxEvent(Guid.NewGuid(), EventTypes.OrderNoteAdded,
                Oms.Contracts.Events.Subjects.Order($"BENCH-{i % Subjects}"), (long)round * (Events / Subjects + 1) + i / Subjects, DateTimeOffset.UtcNow,
                JsonSerializer.Serialize(new { i, text = "Customer asked for gift wrap." })))]);
        }

        if (!await _arrived.WaitAsync(TimeSpan.FromMinutes(2)))
        {
            throw new TimeoutException($"Only {Volatile.Read(ref _received)} of {Volatile.Read(ref _target)} events arrived.");
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _cluster.DisposeAsync();
        await _receiver.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
