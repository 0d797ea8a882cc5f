using Microsoft.Extensions.Diagnostics.HealthChecks;
using Oms.Api.Security;
using Oms.Contracts;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;

namespace Oms.Api.Demo;

/// <summary>
/// Loads <see cref="DemoNetwork"/> once the cluster is up (--seed-demo). Snapshots use sequence 1, so
/// seeding again after a restart on PostgreSQL is a no-op rather than a reset of real movements.
/// </summary>
public sealed class DemoSeeder(
    IGrainFactory grains, DemoReadiness readiness, IHostApplicationLifetime lifetime, ApiKeyCache keys, TimeProvider clock, ILogger<DemoSeeder> logger)
    : BackgroundService
{
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(1);

    private bool _keysIssued;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        await using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);

        // HTTP opens before the cluster answers (liveness must not wait for it), so the first tries may fail.
        while (true)
        {
            try
            {
                await Seed(stoppingToken);
                break;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogInformation("Demo seeding waits for the cluster: {Reason}", ex.Message);
                await Task.Delay(RetryEvery, stoppingToken);
            }
        }

        readiness.Seeded();
    }

    private async Task Seed(CancellationToken stoppingToken)
    {
        if (!_keysIssued)
        {
            // Once per process: a retry of the stock seeding must not print a second set of keys.
            await DemoKeys.Issue(grains, keys, clock, Console.Out);
            _keysIssued = true;
        }

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

        // Ready means the storefront's first question is answered: wait until the network view, which is fed
        // asynchronously and refreshes its profiles on a period, shows the last SKU seeded.
        var last = DemoNetwork.Stock().Last(s => s.OnHand > s.SafetyStock);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        patience.CancelAfter(TimeSpan.FromSeconds(30));
        while ((await grains.GetGrain<INetworkGrain>(0).GetAvailability(last.Sku, AvailabilityView.Store)).Available == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), patience.Token);
        }

        logger.LogInformation("Demo network seeded: {Locations} locations, {Positions} stock positions", DemoNetwork.Locations.Count, count);
    }
}

/// <summary>Not ready until the demo network the process was asked to serve is there.</summary>
public sealed class DemoReadiness : IHealthCheck
{
    private volatile bool _seeded;

    public void Seeded() => _seeded = true;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_seeded ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("Not ready: the demo network is still being seeded."));
}
