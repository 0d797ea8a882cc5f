using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Oms.Api.Http;
using Orleans.TestingHost;

namespace Oms.Tests.Infrastructure;

/// <summary>
/// The real API over HTTP, attached as a stateless client to a separate two-silo cluster. The in-process
/// cluster's transport is in memory, so the API is handed the cluster's own client rather than dialing
/// gateways over TCP; every request still crosses from client to silos and between silos.
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
        (_factory, Http) = Attach(Cluster);
    }

    /// <summary>The API in front of <paramref name="cluster"/>, configured as production configures it.</summary>
    public static (WebApplicationFactory<Program> Factory, HttpClient Http) Attach(InProcessTestCluster cluster)
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Oms:Hosting", "external");
            web.UseSetting("Oms:ClickAndCollect:ProfileRefresh", TestClusters.ProfileRefresh.ToString());
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton(cluster.Client);
                services.AddSingleton<IGrainFactory>(cluster.Client);
            });
        });
        return (factory, factory.CreateClient());
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
