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
    private WebApplicationFactory<Program>? _kestrelFactory;
    private HttpClient? _kestrel;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    /// <summary>The API's own services: its endpoint table, options and caches, for tests that read what it enforces.</summary>
    public IServiceProvider ApiServices => _factory!.Services;

    /// <summary>Another client of the same in-memory API, carrying <paramref name="key"/> (none when null).</summary>
    public HttpClient Client(string? key) => _factory!.CreateClient().WithKey(key);

    public static JsonSerializerOptions Json { get; } = CreateJson();

    public async Task InitializeAsync()
    {
        Cluster = await TestClusters.StartAsync();
        _factory = AttachedTo(Cluster);
        Http = _factory.CreateAdminClient();
    }

    /// <summary>
    /// The same API behind real Kestrel on a free port, for what the in-memory test server never enforces or
    /// produces: request-line and body limits, and the answers Kestrel itself writes.
    /// </summary>
    public HttpClient Kestrel()
    {
        if (_kestrel is null)
        {
            // A port the system picks, so parallel runs on one machine never collide.
            _kestrelFactory = AttachedTo(Cluster).WithWebHostBuilder(web => web.UseUrls("http://127.0.0.1:0"));
            _kestrelFactory.UseKestrel();
            _kestrelFactory.StartServer();
            _kestrel = _kestrelFactory.CreateAdminClient();
        }

        return _kestrel;
    }

    /// <summary>The API in front of <paramref name="cluster"/>, configured as production configures it.</summary>
    public static WebApplicationFactory<Program> AttachedTo(InProcessTestCluster cluster) => new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
    {
        web.UseSetting("Oms:Hosting", "external");
        web.UseSetting("Oms:ClickAndCollect:ProfileRefresh", TestClusters.ProfileRefresh.ToString());
        web.UseSetting("Oms:Security:BootstrapAdminKey", TestKeys.Admin);
        web.ConfigureTestServices(services =>
        {
            services.AddSingleton(cluster.Client);
            services.AddSingleton<IGrainFactory>(cluster.Client);
        });
    });

    public async Task DisposeAsync()
    {
        Http.Dispose();
        _kestrel?.Dispose();
        foreach (var factory in new[] { _factory, _kestrelFactory })
        {
            if (factory is not null)
            {
                await factory.DisposeAsync();
            }
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
