using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oms.Contracts.Events;
using Oms.Tests.Infrastructure;
using StandardWebhooks;

namespace Oms.Tests.Webhooks;

/// <summary>Deliveries to real receivers on 127.0.0.1: signed, retried on a shortened schedule, ordered per subject.</summary>
[Collection("webhooks")]
public sealed class WebhookDeliveryTests(WebhookFixture fixture)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private HttpClient Http => fixture.Http;

    private static string Subject() => Subjects.Order(Network.Unique("ORD"));

    [Fact]
    public async Task An_event_is_posted_as_a_cloudevent_signed_per_standard_webhooks_with_the_event_id()
    {
        await using var receiver = await Receiver.StartAsync();
        var (id, secret) = await WebhookApi.Subscribe(Http, receiver.Url(), "order.*");
        var subject = Subject();
        // Before and after: only what follows the subscription's creation, and only the types it asked for.
        var emitted = await WebhookApi.Emit(fixture.Feed, (EventTypes.StockLow, subject, 1), (EventTypes.OrderPlaced, subject, 2));

        var received = await Eventually.Until(() => Task.FromResult(receiver.Requests.ToList()), r => r.Count >= 1, Within, "the receiver got the event");
        await Task.Delay(300);
        var request = Assert.Single(receiver.Requests);
        var placed = emitted.Single(e => e.Type == EventTypes.OrderPlaced);
        Assert.Equal(placed.EventId.ToString(), request.Id);
        Assert.Equal(placed.Body, request.Body);
        Assert.Equal("application/cloudevents+json", request.Headers.ContentType.ToString());
        Assert.Equal("order.placed", (string?)request.Event["type"]);
        var timestamp = long.Parse(request.Headers["webhook-timestamp"]!);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - timestamp, -5, 30);
        Assert.Matches("^v1,[A-Za-z0-9+/]{43}=$", request.Headers["webhook-signature"].ToString());
        new StandardWebhook(secret).Verify(request.Body, request.Headers);

        var delivery = await Eventually.Until(async () => (await WebhookApi.Deliveries(Http, id)).Single()!, d => (string?)d["status"] == "delivered", Within, "logged as delivered");
        Assert.Equal(placed.EventId.ToString(), (string?)delivery["eventId"]);
        Assert.Equal(placed.Position, (long)delivery["position"]!);
        Assert.Equal(subject, (string?)delivery["subject"]);
        Assert.Equal(204, (int?)delivery["attempts"]![0]!["statusCode"]);
        Assert.Null(delivery["nextAttemptAt"]);
    }

    [Fact]
    public async Task A_real_checkout_and_its_cancellation_reach_the_receiver_in_order()
    {
        await using var receiver = await Receiver.StartAsync();
        var (id, secret) = await WebhookApi.Subscribe(Http, receiver.Url(), "order.placed", "order.cancelled");
        var (_, sku) = await Security.SecurityTestKit.Stocked(Http, 5);
        using var placed = await Security.SecurityTestKit.PlaceOrder(Http, "web", sku, Network.Unique("C"));
        var order = await WebhookApi.Json(placed);
        Assert.True(placed.StatusCode == HttpStatusCode.Created, order.ToJsonString());
        var orderId = (string)order["orderId"]!;
        using var cancelled = await Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/cancel", new { reason = "customer changed mind" });
        Assert.True(cancelled.IsSuccessStatusCode, await cancelled.Content.ReadAsStringAsync());

        var received = await Eventually.Until(() => Task.FromResult(receiver.Requests.Where(r => (string?)r.Event["subject"] == Subjects.Order(orderId)).ToList()),
            r => r.Count == 2, Within, "the order's two events delivered");
        Assert.Equal(["order.placed", "order.cancelled"], received.Select(r => (string)r.Event["type"]!));
        Assert.All(received, r => new StandardWebhook(secret).Verify(r.Body, r.Headers));
        Assert.Equal(orderId, (string?)received[0].Event["data"]!["order"]!["orderId"]);

        // The log records a delivery once the receiver's answer is back, a moment after the receiver has the request.
        await Eventually.Until(() => WebhookApi.Deliveries(Http, id, "delivered"), d => d.Count == 2, Within, "both logged as delivered");
    }

    [Fact]
    public async Task Across_a_rotation_both_secrets_verify_during_the_grace_and_only_the_new_one_after()
    {
        await using var receiver = await Receiver.StartAsync();
        var (id, first) = await WebhookApi.Subscribe(Http, receiver.Url(), "order.*");
        var rotation = await WebhookApi.Json(await Http.PostAsJsonAsync($"/api/v1/webhooks/{id}/rotate-secret", new { graceSeconds = 3600 }));
        var second = (string)rotation["secret"]!;
        var subject = Subject();
        await WebhookApi.Emit(fixture.Feed, (EventTypes.OrderPlaced, subject, 1));
        var during = await Eventually.Until(() => Task.FromResult(receiver.Requests.ToList()), r => r.Count == 1, Within, "delivered during the grace");
        var signatures = during[0].Headers["webhook-signature"].ToString().Split(' ');
        Assert.Equal(2, signatures.Length);
        new StandardWebhook(second).Verify(during[0].Body, during[0].Headers);
        // The package compares only the first of several signatures (see WebhookRulesTests), so the old one alone.
        new StandardWebhook(first).Verify(during[0].Body, WebhookRulesTests.Headers(during[0].Id, DateTimeOffset.FromUnixTimeSeconds(long.Parse(during[0].Headers["webhook-timestamp"]!)), signatures[1]));

        var third = (string)(await WebhookApi.Json(await Http.PostAsJsonAsync($"/api/v1/webhooks/{id}/rotate-secret", new { graceSeconds = 0 })))["secret"]!;
        await WebhookApi.Emit(fixture.Feed, (EventTypes.OrderCancelled, subject, 2));
        var after = await Eventually.Until(() => Task.FromResult(receiver.Requests.ToList()), r => r.Count == 2, Within, "delivered after the grace");
        Assert.Single(after[1].Headers["webhook-signature"].ToString().Split(' '));
        new StandardWebhook(third).Verify(after[1].Body, after[1].Headers);
        Assert.ThrowsAny<Exception>(() => new StandardWebhook(second).Verify(after[1].Body, after[1].Headers));
        Assert.ThrowsAny<Exception>(() => new StandardWebhook(first).Verify(after[1].Body, after[1].Headers));
    }

    [Fact]
    public async Task A_receiver_down_for_the_first_retries_gets_every_event_once_it_is_back()
    {
        var receiver = await Receiver.StartAsync();
        var url = receiver.Url();
        await receiver.Down();
        var (id, _) = await WebhookApi.Subscribe(Http, url, "order.*", "stock.low");
        var subject = Subject();
        var emitted = await WebhookApi.Emit(fixture.Feed, [.. Enumerable.Range(1, 10).Select(i => (EventTypes.OrderNoteAdded, i % 2 == 0 ? subject : Subject(), (long)i))]);
        // Six heads fail at once (five subjects of one event, and the first of the subject with five); the other
        // four of that subject wait behind their head without an attempt.
        await Eventually.Until(async () => await WebhookApi.Deliveries(Http, id, "failed"), d => d.Count == 6, Within, "every head failed once");
        Assert.Equal(10, (await WebhookApi.Deliveries(Http, id, "pending")).Count);

        await receiver.Up();
        await using var _ = receiver;
        await Eventually.Until(async () => await WebhookApi.Deliveries(Http, id, "delivered"), d => d.Count == 10, Within, "every delivery made once it is back");
        Assert.Equal(emitted.Select(e => e.EventId.ToString()).Order(), receiver.Requests.Select(r => r.Id).Distinct().Order());
        Assert.Equal(6, (await WebhookApi.Deliveries(Http, id)).Count(d => d!["attempts"]!.AsArray().Count >= 2));
    }

    [Fact]
    public async Task A_receiver_that_never_comes_back_is_dead_lettered_and_a_replay_then_delivers()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Answer = _ => (500, null);
        var (id, _) = await WebhookApi.Subscribe(Http, receiver.Url(), "stock.low");
        var emitted = await WebhookApi.Emit(fixture.Feed, (EventTypes.StockLow, "stock/A", 1), (EventTypes.StockLow, "stock/B", 1), (EventTypes.StockLow, "stock/C", 1));
        var dead = await Eventually.Until(async () => await WebhookApi.Deliveries(Http, id, "deadLettered"), d => d.Count == 3, Within, "dead-lettered after the schedule");
        Assert.All(dead, d => Assert.Equal(9, d!["attempts"]!.AsArray().Count));
        Assert.All(dead, d => Assert.Null(d!["nextAttemptAt"]));
        Assert.Equal(27, receiver.Requests.Count);

        receiver.Answer = _ => (200, null);
        // One by hand first, then the rest by replaying the feed from the first event.
        var one = (long)dead[0]!["deliveryId"]!;
        using var retried = await Http.PostAsync($"/api/v1/webhooks/{id}/deliveries/{one}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        await Eventually.Until(async () => await WebhookApi.Deliveries(Http, id, "delivered"), d => d.Count == 1, Within, "the retried one delivered");

        using var replay = await Http.PostAsJsonAsync($"/api/v1/webhooks/{id}/replay", new { fromPosition = emitted[0].Position });
        var accepted = await WebhookApi.Json(replay);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal(3, (int)accepted["queued"]!);
        await Eventually.Until(async () => await WebhookApi.Deliveries(Http, id, "delivered"), d => d.Count == 4, Within, "the replayed ones delivered");
        Assert.Equal(emitted.Select(e => e.EventId.ToString()).Order(), receiver.Requests.Skip(27).Select(r => r.Id).Distinct().Order());
    }

    [Fact]
    public async Task Fifty_subjects_changing_at_once_are_each_delivered_in_sequence_order_to_a_receiver_failing_at_random()
    {
        await using var receiver = await Receiver.StartAsync();
        var random = new Random(12);
        var answers = new Lock();
        receiver.Answer = _ =>
        {
            lock (answers)
            {
                return (random.Next(4) == 0 ? 500 : 200, null);
            }
        };
        var (id, _) = await WebhookApi.Subscribe(Http, receiver.Url(), "order.*");
        var subjects = Enumerable.Range(0, 50).Select(_ => Subject()).ToList();
        const int perSubject = 6;
        await Parallel.ForEachAsync(subjects, async (subject, _) =>
        {
            for (var sequence = 1; sequence <= perSubject; sequence++)
            {
                await WebhookApi.Emit(fixture.Feed, (EventTypes.OrderNoteAdded, subject, sequence));
            }
        });

        await Eventually.Until(async () => await WebhookApi.Deliveries(Http, id, "delivered"), d => d.Count == subjects.Count * perSubject, TimeSpan.FromSeconds(60), "every event delivered");
        // Each request a receiver saw is, per subject, the last delivered one's successor or a retry of it: never ahead.
        var byId = receiver.Requests.ToList();
        var violations = new List<string>();
        foreach (var group in byId.GroupBy(r => (string)r.Event["subject"]!))
        {
            long delivered = 0;
            var expected = -1L;
            foreach (var request in group)
            {
                var sequence = long.Parse(request.Event["sequence"]!.ToString());
                if (sequence != delivered + 1)
                {
                    violations.Add($"{group.Key}: sequence {sequence} sent while {delivered + 1} was not delivered");
                }

                expected = sequence;
                if (Succeeded(request))
                {
                    delivered = sequence;
                }
            }

            Assert.Equal(perSubject, delivered);
            Assert.Equal(perSubject, expected);
        }

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    /// <summary>Whether the receiver answered this request with a success (it records its answer on the request).</summary>
    private static bool Succeeded(Received request) => request.Status is >= 200 and < 300;

    [Fact]
    public async Task A_hung_receiver_holds_back_no_other_subscription()
    {
        await using var hung = await Receiver.StartAsync();
        hung.Hang = TimeSpan.FromSeconds(30);
        await using var healthy = await Receiver.StartAsync();
        var (hungId, _) = await WebhookApi.Subscribe(Http, hung.Url(), "stock.outOfStock");
        await WebhookApi.Subscribe(Http, healthy.Url(), "stock.outOfStock");
        // More subjects than the hung subscription may have in flight, so its pump is full and waiting.
        var emitted = await WebhookApi.Emit(fixture.Feed, [.. Enumerable.Range(0, 40).Select(i => (EventTypes.StockOutOfStock, $"stock/HUNG-{Guid.NewGuid():N}", 1L))]);

        await Eventually.Until(() => Task.FromResult(healthy.Requests.Count), n => n == 40, TimeSpan.FromSeconds(10), "the healthy receiver got everything at once");
        // The hung one has its 16 in flight (one per subject, the bound) and sends nothing more until they time out.
        await Eventually.Until(() => Task.FromResult(hung.Requests.Count), n => n == 16, TimeSpan.FromSeconds(5), "the hung receiver's in-flight bound reached");
        await Task.Delay(500);
        Assert.Equal(16, hung.Requests.Count);
        Assert.Equal(40, (await WebhookApi.Deliveries(Http, hungId, "pending")).Count);
        Assert.Equal(emitted.Select(e => e.EventId.ToString()).Order(), healthy.Requests.Select(r => r.Id).Order());
    }

    [Fact]
    public async Task A_redirect_is_a_failure_and_is_not_followed()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Answer = r => r.Path == "/hook" ? (302, new Dictionary<string, string> { ["Location"] = receiver.Url("/elsewhere") }) : (200, null);
        var (id, _) = await WebhookApi.Subscribe(Http, receiver.Url(), "order.*");
        await WebhookApi.Emit(fixture.Feed, (EventTypes.OrderPlaced, Subject(), 1));
        var failed = await Eventually.Until(async () => await WebhookApi.Deliveries(Http, id, "failed"), d => d.Count == 1 && d[0]!["attempts"]!.AsArray().Count >= 2, Within, "the redirect counted as a failure");
        Assert.Equal(302, (int?)failed[0]!["attempts"]![0]!["statusCode"]);
        Assert.Contains("redirect", (string?)failed[0]!["attempts"]![0]!["error"]);
        Assert.NotNull(failed[0]!["nextAttemptAt"]);
        Assert.DoesNotContain(receiver.Requests, r => r.Path == "/elsewhere");
    }

    [Fact]
    public async Task A_410_disables_the_subscription_and_enabling_it_again_delivers_what_was_owed()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Answer = _ => (410, null);
        var (id, _) = await WebhookApi.Subscribe(Http, receiver.Url(), "order.*");
        var subject = Subject();
        await WebhookApi.Emit(fixture.Feed, (EventTypes.OrderPlaced, subject, 1));
        var view = await Eventually.Until(async () => await WebhookApi.Json(await Http.GetAsync($"/api/v1/webhooks/{id}")), v => (string?)v["status"] == "disabled", Within, "disabled by the 410");
        Assert.Contains("410", (string?)view["disabledReason"]);
        await WebhookApi.Emit(fixture.Feed, (EventTypes.OrderCancelled, subject, 2));
        await Task.Delay(1500);
        Assert.Single(receiver.Requests);

        receiver.Answer = _ => (200, null);
        using var enabled = await Http.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { status = "enabled" });
        Assert.Null((await WebhookApi.Json(enabled))["disabledReason"]);
        await Eventually.Until(async () => await WebhookApi.Deliveries(Http, id, "delivered"), d => d.Count == 2, Within, "both delivered once enabled");
        Assert.Equal(["order.placed", "order.cancelled"], receiver.Requests.Skip(1).Select(r => (string)r.Event["type"]!));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Retry_after_is_honoured(int status)
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Answer = _ => receiver.Requests.Count == 1 ? (status, new Dictionary<string, string> { ["Retry-After"] = "2" }) : (200, null);
        var (id, _) = await WebhookApi.Subscribe(Http, receiver.Url(), "order.*");
        await WebhookApi.Emit(fixture.Feed, (EventTypes.OrderPlaced, Subject(), 1));
        await Eventually.Until(async () => await WebhookApi.Deliveries(Http, id, "delivered"), d => d.Count == 1, Within, "delivered on the second attempt");
        var requests = receiver.Requests.ToList();
        Assert.Equal(2, requests.Count);
        // The schedule alone would have retried after 0.2 s.
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(1.9), $"retried after {requests[1].At - requests[0].At}");
    }
}
