using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Oms.Grains.Hosting;
using Orleans.Configuration;

namespace Oms.Tests.Hosting;

/// <summary>Where a clustered silo's unauthenticated silo and gateway ports listen (issue #17, "secure the cluster's own ports").</summary>
public sealed class SiloEndpointTests
{
    private static EndpointOptions Endpoints(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Clustered, so the production endpoints apply; nothing connects, as the host is only built.
            ["ConnectionStrings:Oms"] = "Host=127.0.0.1;Port=1;Username=none;Database=none",
            ["Orleans:SiloPort"] = "11111",
            ["Orleans:GatewayPort"] = "30000",
        }.Concat(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))));
        builder.UseOrleans(silo => silo.UseOmsClustering(builder.Configuration));
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
    }

    [Fact]
    public void By_default_the_ports_listen_only_on_the_advertised_address()
    {
        var options = Endpoints(("Orleans:AdvertisedIPAddress", "127.0.0.1"));
        Assert.Equal(IPAddress.Loopback, options.AdvertisedIPAddress);
        Assert.Equal(IPAddress.Loopback, options.SiloListeningEndpoint?.Address ?? options.AdvertisedIPAddress);
        Assert.Equal(IPAddress.Loopback, options.GatewayListeningEndpoint?.Address ?? options.AdvertisedIPAddress);
    }

    [Fact]
    public void A_configured_listening_address_is_the_one_bound_every_interface_only_when_asked_for()
    {
        var options = Endpoints(("Orleans:AdvertisedIPAddress", "10.0.0.5"), ("Orleans:ListenAddress", "0.0.0.0"));
        Assert.Equal(new IPEndPoint(IPAddress.Any, 11111), options.SiloListeningEndpoint);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 30000), options.GatewayListeningEndpoint);
        Assert.Equal(IPAddress.Parse("10.0.0.5"), options.AdvertisedIPAddress);
    }
}
