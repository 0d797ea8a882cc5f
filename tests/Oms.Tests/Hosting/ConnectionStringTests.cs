using Microsoft.Extensions.Configuration;
using Npgsql;
using Oms.Grains.Hosting;

namespace Oms.Tests.Hosting;

/// <summary>The project's connection defaults fill in only what the operator's string leaves out, under any of its names.</summary>
public sealed class ConnectionStringTests
{
    private static NpgsqlConnectionStringBuilder Effective(string given, int poolSize = OmsHosting.DefaultSiloPoolSize) =>
        new(OmsHosting.ConnectionString(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Oms"] = given }).Build(), poolSize));

    [Fact]
    public void A_bare_string_gets_every_default()
    {
        var effective = Effective("Host=127.0.0.1;Database=oms");

        Assert.Equal((25, 5, 8, true), (effective.MaxPoolSize, effective.Timeout, effective.CommandTimeout, effective.NoResetOnClose));
        Assert.Equal(5, Effective("Host=127.0.0.1", OmsHosting.DefaultClientPoolSize).MaxPoolSize);
    }

    [Theory]
    [InlineData("Host=h;Maximum Pool Size=7;Timeout=2;Command Timeout=3;No Reset On Close=false")]
    [InlineData("Host=h;MaxPoolSize=7;Timeout=2;CommandTimeout=3;NoResetOnClose=false")]
    public void What_the_operator_sets_stands(string given)
    {
        var effective = Effective(given);

        Assert.Equal((7, 2, 3, false), (effective.MaxPoolSize, effective.Timeout, effective.CommandTimeout, effective.NoResetOnClose));
    }

    [Fact]
    public void No_string_means_the_in_memory_default() =>
        Assert.Null(OmsHosting.ConnectionString(new ConfigurationBuilder().Build()));
}
