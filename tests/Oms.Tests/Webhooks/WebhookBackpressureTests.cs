using System.Net;
using System.Net.Http.Json;
using Oms.Contracts.Events;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Webhooks;

/// <summary>
/// With <c>Oms:Webhooks:MaxQueued</c> at its smallest (100), a backlog larger than memory holds is still delivered:
/// the pump stops reading the feed while its queue is full, and reads replayed deliveries in from the store as the
/// queue drains.
/// </summary>
public sealed class WebhookBackpressureTests
{
    [Fact]
    public async Task A_backlog_and_a_replay_larger_than_the_queue_are_delivered_in_full_and_in_order()
    {
        await using var cluster = await WebhookClusters.StartAsync(extra: new Dictionary<string, string?> { ["Oms:Webhooks:MaxQueued"] = "100" });
        await using var api = WebhookClusters.Api(cluster);
        using var http = api.CreateAdminClient();
        await using var receiver = await Receiver.StartAsync();
        var (id, _) = await WebhookApi.Subscribe(http, receiver.Url(), "order.*");
        var subjects = Enumerable.Range(0, 10).Select(_ => Subjects.Order(Network.Unique("ORD"))).ToList();
        var emitted = await WebhookApi.Emit(cluster.Feed(), [.. Enumerable.Range(0, 250).Select(i => (EventTypes.OrderNoteAdded, subjects[i % 10], (long)(i / 10 + 1)))]);
        await Eventually.Until(() => Task.FromResult(receiver.Requests.Count), n => n >= 250, TimeSpan.FromSeconds(30), "the backlog delivered");

        using var replay = await http.PostAsJsonAsync($"/api/v1/webhooks/{id}/replay", new { fromPosition = emitted[0].Position });
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal(250, (int)(await WebhookApi.Json(replay))["queued"]!);
        await Eventually.Until(() => Task.FromResult(receiver.Requests.Count), n => n >= 500, TimeSpan.FromSeconds(30), "the replay delivered");
        await Task.Delay(500);
        Assert.Equal(500, receiver.Requests.Count);

        // Each pass, live and replayed, went out in each subject's sequence order.
        var requests = receiver.Requests.ToList();
        foreach (var pass in new[] { requests[..250], requests[250..] })
        {
            Assert.Equal(emitted.Select(e => e.EventId.ToString()).Order(), pass.Select(r => r.Id).Order());
            foreach (var subject in pass.GroupBy(r => (string)r.Event["subject"]!))
            {
                var sequences = subject.Select(r => long.Parse(r.Event["sequence"]!.ToString())).ToList();
                Assert.Equal(sequences.Order(), sequences);
            }
        }
    }
}
