using Oms.Contracts.Events;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Webhooks;

/// <summary>
/// The SSRF guard at delivery time, on silos with the default policy: a name the API let through (here the API
/// allows internal targets, as a stale check or a DNS change would) is refused on the address it resolves to.
/// </summary>
public sealed class WebhookGuardTests
{
    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_when_delivering()
    {
        await using var cluster = await WebhookClusters.StartAsync(allowInsecure: false);
        await using var api = WebhookClusters.Api(cluster, allowInsecure: true);
        using var http = api.CreateAdminClient();
        await using var receiver = await Receiver.StartAsync();
        var port = new Uri(receiver.Url()).Port;
        var (id, _) = await WebhookApi.Subscribe(http, $"https://localhost:{port}/hook", "order.*");
        await WebhookApi.Emit(cluster.Feed(), (EventTypes.OrderPlaced, Subjects.Order(Network.Unique("ORD")), 1));

        var failed = await Eventually.Until(async () => await WebhookApi.Deliveries(http, id, "failed"), d => d.Count == 1, TimeSpan.FromSeconds(20), "the attempt refused");
        var error = (string?)failed[0]!["attempts"]![0]!["error"];
        Assert.Contains("SSRF", error);
        Assert.Contains("loopback", error);
        Assert.Null((int?)failed[0]!["attempts"]![0]!["statusCode"]);
        Assert.Empty(receiver.Requests);

        // Plain http to a loopback literal is refused the same way, before any connection.
        await WebhookApi.Subscribe(http, receiver.Url(), "order.*");
        await WebhookApi.Emit(cluster.Feed(), (EventTypes.OrderPlaced, Subjects.Order(Network.Unique("ORD")), 1));
        await Task.Delay(1500);
        Assert.Empty(receiver.Requests);
    }
}
