using Microsoft.AspNetCore.Mvc.Testing;
using Oms.Grains.Events;
using Oms.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Oms.Tests.Webhooks;

/// <summary>A two-silo in-memory cluster with a shortened retry schedule, the real API in front of it, and the feed
/// the tests append to. Tests stay independent by making their own subscriptions and receivers.</summary>
public sealed class WebhookFixture : IAsyncLifetime
{
    /// <summary>The cluster's real feed (the in-memory store main wires), which the tests append to.</summary>
    public IEventStore Feed { get; private set; } = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public WebApplicationFactory<Program> Api { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await WebhookClusters.StartAsync();
        Feed = Cluster.Feed();
        Api = WebhookClusters.Api(Cluster);
        Http = Api.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition("webhooks")]
public sealed class WebhookCollection : ICollectionFixture<WebhookFixture>;
