using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Oms.Api.Http;
using Orleans.TestingHost;

namespace Oms.Tests.Infrastructure;

/// <summary>
/// The real API, in its production shape: a stateless Orleans client that reaches a separate two-silo
/// cluster through the silos' gateways over TCP.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public static JsonSerializerOptions Json { get; } = CreateJson();

    public async Task InitializeAsync()
    {
        Cluster = await TestClusters.StartAsync();
        var gateways = string.Join(',', Cluster.Silos.Select(s => s.GatewayAddress.Endpoint.ToString()));
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Oms:Hosting", "client");
            web.UseSetting("Orleans:Gateways", gateways);
            web.UseSetting("Orleans:ClusterId", Cluster.Options.ClusterId);
            web.UseSetting("Orleans:ServiceId", Cluster.Options.ServiceId);
        });
        Http = _factory.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Cluster.DisposeAsync();
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApiJson.Configure(options);
        return options;
    }
}

[CollectionDefinition("api")]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>;
