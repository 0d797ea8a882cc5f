using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Oms.Grains.Hosting;

namespace Oms.Grains.Recovery;

/// <summary>
/// Runs on every silo: delivers the ticks of the watches that fell due, to each grain wherever it now lives, as the
/// reminder service did. A watch is claimed and moved one period on before its tick goes, so a tick lost with a
/// silo, or refused by a grain, simply comes again a period later; ticks are idempotent at every grain.
/// </summary>
public sealed class WatchSweep(
    IGrainFactory grains,
    IWatchTable watches,
    TimeProvider clock,
    ILogger<WatchSweep> logger) : BackgroundService
{
    private const int MaxPerSweep = 500;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>A grain that takes longer is still at it; the sweep does not wait on it for the rest.</summary>
    private static readonly TimeSpan TickTimeout = TimeSpan.FromSeconds(10);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Sweep.Every(Interval, clock, logger, "watch sweep", SweepOnce, stoppingToken);

    private async Task SweepOnce(CancellationToken stoppingToken)
    {
        var due = await watches.Claim(clock.GetUtcNow(), MaxPerSweep, stoppingToken);
        await Sweep.WakeEach(due, TickTimeout,
            watch => grains.GetGrain<IRemindable>(watch.Grain).ReceiveReminder(watch.Name,
                new TickStatus(watch.Due.UtcDateTime, watch.Period, clock.GetUtcNow().UtcDateTime)),
            (watch, ex) => logger.LogDebug(ex, "Watch {Name} of {Grain} did not tick; it comes again in {Period}", watch.Name, watch.Grain, watch.Period),
            stoppingToken);
    }
}

public static class RecoveryHosting
{
    public static IServiceCollection AddGrainWatches(this IServiceCollection services, bool persistent)
    {
        if (persistent)
        {
            services.AddSingleton<IWatchTable, PostgresWatchTable>();
        }
        else
        {
            services.AddSingleton<IWatchTable, MemoryWatchTable>();
        }

        services.AddHostedService<WatchSweep>();
        return services;
    }
}
