using Oms.Contracts.Events;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Webhooks;

/// <summary>On PostgreSQL, what a subscription owes its receiver outlives every silo.</summary>
[Collection("postgres")]
public sealed class WebhookDurabilityTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Pending_deliveries_survive_killing_the_whole_cluster_and_are_each_queued_once()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_webhooks");
        var serviceId = Network.Unique("svc");
        var receiver = await Receiver.StartAsync();
        var url = receiver.Url();
        await receiver.Down();
        // A long first retry, so nothing is sent again before the restart: what arrives afterwards comes from PostgreSQL.
        const string schedule = "00:00:00.200,00:00:02,00:00:02,00:00:02,00:00:02,00:00:02";
        string id;
        IReadOnlyList<FeedEvent> emitted;

        var first = await WebhookClusters.StartAsync(connectionString, serviceId, schedule: schedule);
        await using (var api = WebhookClusters.Api(first))
        {
            using var http = api.CreateAdminClient();
            id = (await WebhookApi.Subscribe(http, url, "order.*")).Id;
            emitted = await WebhookApi.Emit(first.Feed(), [.. Enumerable.Range(1, 5).Select(i => (EventTypes.OrderPlaced, Subjects.Order(Network.Unique("ORD")), 1L))]);
            await Eventually.Until(async () => await WebhookApi.Deliveries(http, id, "failed"), d => d.Count == 5, TimeSpan.FromSeconds(20), "every delivery failed once");

            // Killed, not stopped: nothing gets a chance to flush what was not already durable.
            await Task.WhenAll(first.Silos.ToList().Select(silo => first.KillSiloAsync(silo)));
        }

        await first.DisposeAsync();
        await receiver.Up();
        await using var up = receiver;

        await using var second = await WebhookClusters.StartAsync(connectionString, serviceId, schedule: schedule);
        await using var after = WebhookClusters.Api(second);
        using var client = after.CreateAdminClient();
        // The sweep wakes the subscription on the new cluster; nobody has to call it.
        await Eventually.Until(() => Task.FromResult(receiver.Requests.Select(r => r.Id).Distinct().Count()), n => n == 5, TimeSpan.FromSeconds(30), "every event delivered after the restart");
        Assert.Equal(emitted.Select(e => e.EventId.ToString()).Order(), receiver.Requests.Select(r => r.Id).Distinct().Order());
        var deliveries = await Eventually.Until(async () => await WebhookApi.Deliveries(client, id, "delivered"), d => d.Count == 5, TimeSpan.FromSeconds(10), "logged as delivered");
        Assert.Equal(5, (await WebhookApi.Deliveries(client, id)).Count);
        Assert.All(deliveries, d => Assert.True(d!["attempts"]!.AsArray().Count >= 2));
    }
}
