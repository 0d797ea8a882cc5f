using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Oms.Grains.Hosting;
using Orleans.TestingHost;

namespace Oms.Tests.Infrastructure;

/// <summary>Builds real two-silo Orleans clusters wired exactly as production wires its silos.</summary>
public static class TestClusters
{
    public static async Task<InProcessTestCluster> StartAsync(string? connectionString = null, string? serviceId = null, short silos = 2)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        if (serviceId is not null)
        {
            builder.Options.ServiceId = serviceId;
        }

        var settings = new Dictionary<string, string?>();
        if (connectionString is not null)
        {
            settings["ConnectionStrings:Oms"] = connectionString;
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

        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>Sums a counter over every silo, since grains of one call may run anywhere in the cluster.</summary>
    public static long CountCalls(this InProcessTestCluster cluster, string interfaceMethod) =>
        cluster.Silos.Sum(s => s.ServiceProvider.GetRequiredService<GrainCallCounter>().Count(interfaceMethod));
}
