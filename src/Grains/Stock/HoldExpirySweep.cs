using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts.Stock;

namespace Oms.Grains.Stock;

/// <summary>
/// Runs on every silo: wakes the stock items whose earliest hold fell due and was not released, so the units
/// come back within about <see cref="StockOptions.ExpirySweepGrace"/> plus one interval of the expiry, even when
/// the silo that held the item died (the call activates it elsewhere, and activation settles lapsed holds).
/// A reminder would be late by up to its one-minute period after a silo's death; this is late by seconds.
/// </summary>
/// <remarks>Several silos may wake the same item: settling is idempotent, and each wake is one cheap call.</remarks>
public sealed class HoldExpirySweep(
    IGrainFactory grains,
    IStockLedger ledger,
    TimeProvider clock,
    IOptions<StockOptions> options,
    ILogger<HoldExpirySweep> logger) : BackgroundService
{
    private const int MaxItemsPerSweep = 500;
    private const int MaxConcurrentWakes = 32;

    /// <summary>A wake that hangs on a dead silo must not hold up the others; the next sweep tries it again.</summary>
    private static readonly TimeSpan WakeTimeout = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ExpirySweepInterval, clock);
        var failing = false;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await Sweep(stoppingToken);
                failing = false;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Once per outage, not once a second: readiness already reports the database's state.
                if (!failing)
                {
                    logger.LogWarning(ex, "The hold expiry sweep failed; it retries every {Interval}", options.Value.ExpirySweepInterval);
                }

                failing = true;
            }
        }
    }

    private async Task Sweep(CancellationToken cancellationToken)
    {
        var due = await ledger.DueItems(clock.GetUtcNow() - options.Value.ExpirySweepGrace, MaxItemsPerSweep, cancellationToken);
        if (due.Count == 0)
        {
            return;
        }

        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentWakes, CancellationToken = cancellationToken },
            async (key, _) =>
            {
                try
                {
                    await grains.GetGrain<IStockItemGrain>(key).SettleExpiredHolds().WaitAsync(WakeTimeout, cancellationToken);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    logger.LogDebug(ex, "Could not wake stock item {Key} to expire its holds; the next sweep retries", key);
                }
            });
    }
}
