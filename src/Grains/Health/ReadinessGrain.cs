using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Oms.Contracts.Health;
using Oms.Grains.Persistence;
using Orleans.Concurrency;

namespace Oms.Grains.Health;

/// <summary>
/// A silo whose database refuses connections can answer nothing that is not already in memory, and must not be
/// reported ready: a load balancer would keep sending it checkouts that can only fail.
/// </summary>
[StatelessWorker]
public sealed class ReadinessGrain(IServiceProvider services) : Grain, IReadinessGrain
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public async Task<string?> Check()
    {
        if (services.GetService<OmsDatabase>() is not { } database)
        {
            return null;
        }

        try
        {
            using var timeout = new CancellationTokenSource(ProbeTimeout);
            await using var connection = await database.OpenAsync(timeout.Token);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(timeout.Token);
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            // The reason, not the driver's message: readiness is public, and the message may name hosts and users.
            return ex is NpgsqlException ? "the database refuses connections or queries" : "the database did not answer in time";
        }
    }
}
