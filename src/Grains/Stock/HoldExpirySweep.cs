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

    /// <summary>A wake that hangs on a dead silo must not hold up the others; the next sweep tries it again.</summary>
    private static readonly TimeSpan WakeTimeout = TimeSpan.FromSeconds(2);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Hosting.Sweep.Every(options.Value.ExpirySweepInterval, clock, logger, "hold expiry sweep", SweepOnce, stoppingToken);

    private async Task SweepOnce(CancellationToken cancellationToken)
    {
        var due = await ledger.DueItems(clock.GetUtcNow() - options.Value.ExpirySweepGrace, MaxItemsPerSweep, cancellationToken);
        if (due.Count == 0)
        {
            return;
        }

        await Hosting.Sweep.WakeEach(due, WakeTimeout, key => grains.GetGrain<IStockItemGrain>(key).SettleExpiredHolds(),
            (key, ex) => logger.LogDebug(ex, "Could not wake stock item {Key} to expire its holds; the next sweep retries", key),
            cancellationToken);
    }
}
