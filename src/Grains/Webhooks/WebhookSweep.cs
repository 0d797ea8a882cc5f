using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts.Webhooks;

namespace Oms.Grains.Webhooks;

/// <summary>
/// Runs on every silo: wakes every subscription, so that one whose silo died resumes on a live silo within about
/// one <see cref="WebhookOptions.SweepInterval"/> (a reminder would take up to its one-minute period), and keeps
/// active subscriptions from being collected while their receivers are down. Waking a running pump is a no-op.
/// Once an hour it also drops finished deliveries older than <see cref="WebhookOptions.DeliveryRetention"/>.
/// </summary>
public sealed class WebhookSweep(
    IGrainFactory grains,
    IWebhookStore store,
    TimeProvider clock,
    IOptions<WebhookOptions> options,
    ILogger<WebhookSweep> logger) : BackgroundService
{
    private static readonly TimeSpan WakeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);
    private const int PruneBatch = 5_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, clock);
        var failing = false;
        var pruned = clock.GetUtcNow();
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var ids = await grains.GetGrain<IWebhookDirectoryGrain>(IWebhookDirectoryGrain.Key).List().WaitAsync(WakeTimeout, stoppingToken);
                await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = stoppingToken }, async (id, ct) =>
                {
                    try
                    {
                        await grains.GetGrain<IWebhookGrain>(id).Wake().WaitAsync(WakeTimeout, ct);
                    }
                    catch (Exception ex) when (!ct.IsCancellationRequested)
                    {
                        logger.LogDebug(ex, "Could not wake webhook {WebhookId}; the next sweep retries", id);
                    }
                });

                if (clock.GetUtcNow() - pruned > PruneEvery)
                {
                    pruned = clock.GetUtcNow();
                    await store.Prune(pruned - options.Value.DeliveryRetention, PruneBatch, stoppingToken);
                }

                failing = false;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    logger.LogWarning(ex, "The webhook sweep failed; it retries every {Interval}", options.Value.SweepInterval);
                }

                failing = true;
            }
        }
    }
}
