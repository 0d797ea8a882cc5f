using Oms.Contracts;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;

namespace Oms.Api.Demo;

/// <summary>
/// Loads <see cref="DemoNetwork"/> once the cluster is up (--seed-demo). Snapshots use sequence 1, so
/// seeding again after a restart on PostgreSQL is a no-op rather than a reset of real movements.
/// </summary>
public sealed class DemoSeeder(IGrainFactory grains, IHostApplicationLifetime lifetime, ILogger<DemoSeeder> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The silo and client are started by earlier hosted services; wait until the whole host is up.
        var started = new TaskCompletionSource();
        await using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);

        foreach (var location in DemoNetwork.Locations)
        {
            await grains.GetGrain<ILocationGrain>(location.LocationId).Upsert(location);
        }

        var count = 0;
        foreach (var batch in DemoNetwork.Stock().Chunk(200))
        {
            stoppingToken.ThrowIfCancellationRequested();
            await Task.WhenAll(batch.Select(s =>
                grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(s.LocationId, s.Sku)).ApplySnapshot(1, s.OnHand, s.SafetyStock)));
            count += batch.Length;
        }

        logger.LogInformation("Demo network seeded: {Locations} locations, {Positions} stock positions", DemoNetwork.Locations.Count, count);
    }
}
