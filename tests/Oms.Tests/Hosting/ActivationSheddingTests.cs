using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Oms.Grains.Hosting;
using Orleans.Configuration;

namespace Oms.Tests.Hosting;

/// <summary>A silo keeps only the hot part of a catalogue active when its heap nears its budget (issue #18, memory).</summary>
public sealed class ActivationSheddingTests
{
    private static GrainCollectionOptions Collection(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.UseOrleans(silo => silo.UseOmsClustering(builder.Configuration).AddOmsGrains(builder.Configuration));
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<GrainCollectionOptions>>().Value;
    }

    [Fact]
    public void By_default_a_silo_sheds_its_least_recently_used_grains_before_the_heap_runs_out()
    {
        var options = Collection();
        Assert.True(options.EnableActivationSheddingOnMemoryPressure);
        Assert.Equal(85, options.MemoryUsageLimitPercentage);
        Assert.Equal(70, options.MemoryUsageTargetPercentage);
        Assert.Equal(TimeSpan.FromSeconds(1), options.MemoryUsagePollingPeriod);
        Assert.Equal(TimeSpan.FromMinutes(15), options.CollectionAge);
    }

    [Fact]
    public void Orleans_own_settings_override_the_defaults()
    {
        var options = Collection(
            ("Orleans:GrainCollection:MemoryUsageLimitPercentage", "90"),
            ("Orleans:GrainCollection:CollectionAge", "00:05:00"),
            ("Orleans:GrainCollection:EnableActivationSheddingOnMemoryPressure", "false"));
        Assert.False(options.EnableActivationSheddingOnMemoryPressure);
        Assert.Equal(90, options.MemoryUsageLimitPercentage);
        Assert.Equal(TimeSpan.FromMinutes(5), options.CollectionAge);
    }
}
