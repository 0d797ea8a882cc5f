using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Oms.Grains.Events;

/// <summary>
/// Runs on every silo: moves outbox entries that a dead silo wrote with their ledger append but never put in
/// the feed (the same event id, so never twice), and drops events past the feed's retention.
/// </summary>
/// <remarks>Several silos may move the same entry at once: the feed skips an id it already holds.</remarks>
public sealed class EventRelay(
    IEventStore store,
    EventPublisher publisher,
    TimeProvider clock,
    IOptions<EventOptions> options,
    ILogger<EventRelay> logger) : BackgroundService
{
    private const int MaxPerSweep = 1_000;
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RelayInterval, clock);
        var prunedAt = DateTimeOffset.MinValue;
        var failing = false;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var now = clock.GetUtcNow();
                var stranded = await store.Stranded(now - options.Value.StrandedAfter, MaxPerSweep, stoppingToken);
                if (stranded.Count > 0)
                {
                    logger.LogInformation("Moving {Count} stranded outbox entries to the event feed", stranded.Count);
                    await publisher.Publish(stranded);
                }

                if (now - prunedAt >= PruneEvery)
                {
                    while (await store.Prune(now - options.Value.Retention, 10_000, stoppingToken) > 0)
                    {
                    }

                    prunedAt = now;
                }

                failing = false;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    logger.LogWarning(ex, "The event relay failed; it retries every {Interval}", options.Value.RelayInterval);
                }

                failing = true;
            }
        }
    }
}
