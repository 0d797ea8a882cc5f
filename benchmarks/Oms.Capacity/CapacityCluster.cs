using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Oms.Grains.Hosting;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace Oms.Capacity;

/// <summary>
/// One silo and its client in this process, wired by <see cref="OmsHosting.AddOmsGrains"/> on PostgreSQL, with a
/// fixed service id so a second cluster on the same database is a restart of the first, not a new service.
/// </summary>
public sealed class CapacityCluster : IAsyncDisposable
{
    public const string ServiceId = "oms-capacity";

    private readonly InProcessTestCluster _cluster;
    private bool _stopped;

    private CapacityCluster(InProcessTestCluster cluster) => _cluster = cluster;

    public IClusterClient Client => _cluster.Client;

    /// <param name="collectionAge">How long an idle grain stays active; null keeps Orleans' default.</param>
    public static async Task<CapacityCluster> StartAsync(string connectionString, TimeSpan? collectionAge, CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Oms"] = connectionString })
            .Build();

        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = ServiceId;

        // No trace files: they would cost disk and CPU per activation that a silo host does not pay. The grain
        // directory stays the test cluster's in-process one (the switch is internal to Orleans.TestingHost).
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddOmsGrains(configuration);
            silo.Services.AddLogging(logging => logging
                .AddSimpleConsole(o => o.SingleLine = true)
                .SetMinimumLevel(LogLevel.Warning)
                // Killing a silo cancels every stateful grain's stop, one warning each: 50,000 lines for a million items.
                .AddFilter("Orleans.Grain", LogLevel.Error));
            if (collectionAge is { } age)
            {
                silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = age);
            }
        });

        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync().WaitAsync(cancellationToken);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return new CapacityCluster(cluster);
    }

    /// <summary>Live activations per grain type, as the silo itself counts them.</summary>
    public async Task<IReadOnlyDictionary<string, int>> ActivationsByTypeAsync(CancellationToken cancellationToken)
    {
        var statistics = await Client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics().WaitAsync(cancellationToken);
        return statistics
            .GroupBy(s => s.GrainType, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount), StringComparer.Ordinal);
    }

    /// <summary>
    /// A graceful stop deactivates every grain (the availability views flush their state), which is what a
    /// restart test needs; a million activations would take minutes to deactivate, so the memory run kills.
    /// </summary>
    public async Task StopAsync(bool graceful)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _cluster.StopClusterClientAsync();
        foreach (var silo in _cluster.Silos)
        {
            if (graceful)
            {
                await _cluster.StopSiloAsync(silo);
            }
            else
            {
                await _cluster.KillSiloAsync(silo);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(graceful: false);
        await _cluster.DisposeAsync();
    }
}
