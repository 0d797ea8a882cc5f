using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Oms.Grains.Hosting;
using Orleans.TestingHost;

namespace Oms.Tests.Infrastructure;

/// <summary>Builds real two-silo Orleans clusters wired exactly as production wires its silos.</summary>
public static class TestClusters
{
    /// <summary>Faster than production, so tests that register a location see it promptly everywhere.</summary>
    public static readonly TimeSpan ProfileRefresh = TimeSpan.FromMilliseconds(200);

    /// <param name="extra">Settings beyond the defaults, such as fulfilment deadlines short enough to watch.</param>
    /// <param name="clusterId">Given, with the same <paramref name="serviceId"/> as another cluster: two clusters that do
    /// not know of each other over the same grain state, as a split brain would be.</param>
    public static async Task<InProcessTestCluster> StartAsync(string? connectionString = null, string? serviceId = null, short silos = 2,
        IReadOnlyDictionary<string, string?>? extra = null, string? clusterId = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        if (serviceId is not null)
        {
            builder.Options.ServiceId = serviceId;
        }

        if (clusterId is not null)
        {
            builder.Options.ClusterId = clusterId;
        }

        var settings = new Dictionary<string, string?> { ["Oms:ClickAndCollect:ProfileRefresh"] = ProfileRefresh.ToString() };
        if (connectionString is not null)
        {
            settings["ConnectionStrings:Oms"] = connectionString;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddOmsGrains(configuration);
            silo.AddIncomingGrainCallFilter<FaultInjection>();
            var counter = new GrainCallCounter();
            silo.Services.AddSingleton(counter);
            silo.AddIncomingGrainCallFilter(counter);
        });

        builder.ConfigureClient(client => client.AddOmsTracing(configuration));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>Every grain call so far, summed over the silos, since one request's calls may land anywhere.</summary>
    public static IReadOnlyDictionary<string, long> CountCalls(this InProcessTestCluster cluster) =>
        cluster.Silos
            .SelectMany(s => s.ServiceProvider.GetRequiredService<GrainCallCounter>().Snapshot())
            .GroupBy(kv => kv.Key)
            .ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
}
