using System.Net;
using Microsoft.AspNetCore.Http;
using Oms.Contracts.Webhooks;
using Oms.Grains.Webhooks;
using StandardWebhooks;

namespace Oms.Tests.Webhooks;

/// <summary>The pure rules of webhook delivery, without Orleans: signing, schedule, Retry-After, SSRF, ordering.</summary>
public sealed class WebhookRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_standard_webhooks_test_vector_signs_as_the_spec_says()
    {
        var signer = new StandardWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        var signature = WebhookSender.Signatures([signer], "msg_p5jXN8AQM9LWM0D4loKWxJek", DateTimeOffset.FromUnixTimeSeconds(1614265330), """{"test": 2432232314}""");
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void During_a_rotation_both_signatures_are_sent_and_either_secret_verifies()
    {
        var (old, fresh) = (WebhookLimits.NewSecret(), WebhookLimits.NewSecret());
        var now = DateTimeOffset.UtcNow;
        const string body = """{"type":"order.placed"}""";
        var header = WebhookSender.Signatures([new StandardWebhook(fresh), new StandardWebhook(old)], "evt-1", now, body);
        var signatures = header.Split(' ');
        Assert.Equal(2, signatures.Length);
        Assert.All(signatures, s => Assert.StartsWith("v1,", s));

        // The new secret's signature comes first, so the package verifies the whole header with it.
        new StandardWebhook(fresh).Verify(body, Headers("evt-1", now, header));
        Assert.ThrowsAny<Exception>(() => new StandardWebhook(WebhookLimits.NewSecret()).Verify(body, Headers("evt-1", now, header)));

        // StandardWebhooks 1.1.2 only ever compares the first of several signatures (its loop stops before the last),
        // so each is verified on its own here; a receiver following the spec accepts either within the one header.
        new StandardWebhook(old).Verify(body, Headers("evt-1", now, signatures[1]));
        Assert.ThrowsAny<Exception>(() => new StandardWebhook(old).Verify(body, Headers("evt-1", now, signatures[0])));
    }

    public static HeaderDictionary Headers(string id, DateTimeOffset timestamp, string signature) => new()
    {
        ["webhook-id"] = id,
        ["webhook-timestamp"] = timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["webhook-signature"] = signature,
    };

    [Fact]
    public void A_secret_is_whsec_and_32_random_bytes()
    {
        var secret = WebhookLimits.NewSecret();
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.NotEqual(secret, WebhookLimits.NewSecret());
    }

    [Fact]
    public void The_default_schedule_is_the_specs_and_dead_letters_after_the_tenth_attempt()
    {
        var schedule = RetrySchedule.Parse(null);
        Assert.Equal(10, schedule.MaxAttempts);
        string[] expected = ["00:00:05", "00:05:00", "00:30:00", "02:00:00", "05:00:00", "10:00:00", "14:00:00", "20:00:00", "1.00:00:00"];
        Assert.Equal(expected.Select(TimeSpan.Parse), schedule.Delays);
        Assert.Equal(TimeSpan.FromSeconds(5), schedule.After(1, 0.5));
        Assert.Equal(TimeSpan.FromHours(24), schedule.After(9, 0.5));
        Assert.Null(schedule.After(10, 0.5));
    }

    [Theory]
    [InlineData(0.0, 4.5)]
    [InlineData(0.5, 5.0)]
    [InlineData(0.999999, 5.5)]
    public void Jitter_stays_within_ten_percent(double unit, double seconds) =>
        Assert.Equal(seconds, RetrySchedule.Default.After(1, unit)!.Value.TotalSeconds, 3);

    [Theory]
    [InlineData("00:00:01,00:00:02", 2)]
    [InlineData(" 00:00:00.100 , 00:05:00 ,1.00:00:00", 3)]
    public void A_configured_schedule_is_parsed(string text, int delays) => Assert.Equal(delays, RetrySchedule.Parse(text).Delays.Count);

    [Theory]
    [InlineData("soon")]
    [InlineData("00:00:01,,00:00:02")]
    [InlineData("00:00:00")]
    [InlineData("-00:00:01")]
    [InlineData("8.00:00:00")]
    public void A_bad_schedule_is_refused_at_start_up(string text)
    {
        Assert.Throws<FormatException>(() => RetrySchedule.Parse(text));
        Assert.NotNull(new WebhookOptions { RetrySchedule = text }.Validate());
    }

    [Theory]
    [InlineData("30", 30)]
    [InlineData("0", 1)]
    [InlineData("999999999999999999999", 86400)]
    [InlineData("Tue, 01 Dec 2026 12:02:00 GMT", 120)]
    [InlineData("Tue, 01 Dec 2026 11:00:00 GMT", 1)]
    [InlineData("Fri, 01 Dec 2028 12:00:00 GMT", 86400)]
    public void Retry_after_is_read_as_seconds_or_a_date_and_bounded(string value, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryAfter.Parse(value, Now));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    public void An_unreadable_retry_after_is_ignored(string? value) => Assert.Null(RetryAfter.Parse(value, Now));

    [Theory]
    [InlineData(200, DeliveryStatus.Delivered, false)]
    [InlineData(204, DeliveryStatus.Delivered, false)]
    [InlineData(299, DeliveryStatus.Delivered, false)]
    [InlineData(301, DeliveryStatus.Pending, false)]
    [InlineData(302, DeliveryStatus.Pending, false)]
    [InlineData(400, DeliveryStatus.Pending, false)]
    [InlineData(410, DeliveryStatus.Pending, true)]
    [InlineData(500, DeliveryStatus.Pending, false)]
    [InlineData(null, DeliveryStatus.Pending, false)]
    public void An_answer_decides_the_delivery(int? status, DeliveryStatus expected, bool disable)
    {
        var decision = DeliveryRules.Decide(new SendResult(status, null, 5, null), 0, RetrySchedule.Default, Now, 0.5);
        Assert.Equal(expected, decision.Status);
        Assert.Equal(disable, decision.Disable);
        Assert.Equal(expected == DeliveryStatus.Pending ? Now.AddSeconds(5) : null, decision.NextAttemptAt);
    }

    [Fact]
    public void The_last_failure_dead_letters()
    {
        var decision = DeliveryRules.Decide(new SendResult(500, null, 5, null), RetrySchedule.Default.MaxAttempts - 1, RetrySchedule.Default, Now, 0.5);
        Assert.Equal(DeliveryStatus.DeadLettered, decision.Status);
        Assert.Equal(10, decision.Failures);
        Assert.Null(decision.NextAttemptAt);
    }

    [Theory]
    [InlineData(429, "120", 120)]
    [InlineData(503, "7", 7)]
    [InlineData(500, "120", 5)]
    [InlineData(429, null, 5)]
    public void Retry_after_is_honoured_on_429_and_503(int status, string? retryAfter, int seconds)
    {
        var decision = DeliveryRules.Decide(new SendResult(status, retryAfter, 5, null), 0, RetrySchedule.Default, Now, 0.5);
        Assert.Equal(Now.AddSeconds(seconds), decision.NextAttemptAt);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.1.2")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.254")]
    [InlineData("169.254.169.254")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    public void Internal_addresses_are_not_targets(string address) => Assert.NotNull(TargetPolicy.Forbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700::6810:85e5")]
    [InlineData("::ffff:8.8.8.8")]
    public void Public_addresses_are_targets(string address) => Assert.Null(TargetPolicy.Forbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("https://hooks.example.com/oms", false, true)]
    [InlineData("http://hooks.example.com/oms", false, false)]
    [InlineData("http://hooks.example.com/oms", true, true)]
    [InlineData("https://127.0.0.1/hook", false, false)]
    [InlineData("https://127.0.0.1/hook", true, true)]
    [InlineData("https://[::1]/hook", false, false)]
    [InlineData("https://[::ffff:127.0.0.1]/hook", false, false)]
    [InlineData("https://169.254.169.254/latest/meta-data", false, false)]
    [InlineData("https://10.0.0.5/hook", false, false)]
    [InlineData("https://localhost/hook", false, false)]
    [InlineData("https://metadata.google.internal/", false, false)]
    [InlineData("https://intranet/hook", false, false)]
    [InlineData("https://user:pass@hooks.example.com/", false, false)]
    [InlineData("ftp://hooks.example.com/", false, false)]
    [InlineData("/relative", false, false)]
    [InlineData("https://hooks.example.com/a b", false, false)]
    [InlineData("https://hooks.example.com/#frag", false, false)]
    public void Target_urls_are_checked(string url, bool allowInsecure, bool accepted) =>
        Assert.Equal(accepted, TargetPolicy.CheckUrl(url, allowInsecure, out _) is null);

    [Fact]
    public void An_overlong_url_is_refused() =>
        Assert.NotNull(TargetPolicy.CheckUrl("https://hooks.example.com/" + new string('a', TargetPolicy.MaxUrlLength), false, out _));

    private static QueuedDelivery D(long id, string subject, long sequence, DateTimeOffset? due = null) => new()
    {
        DeliveryId = id, EventId = Guid.NewGuid(), Type = "order.placed", Subject = subject, Sequence = sequence, Position = id, Body = "{}",
        DueAt = due ?? Now,
    };

    [Fact]
    public void Only_the_head_of_each_subject_is_ready_and_other_subjects_are_not_held_up()
    {
        var queues = new SubjectQueues();
        queues.Add(D(1, "orders/A", 1));
        queues.Add(D(2, "orders/A", 2));
        queues.Add(D(3, "orders/B", 1));
        var ready = queues.TakeReady(Now, 16);
        Assert.Equal([1L, 3L], ready.Select(d => d.DeliveryId).Order());
        Assert.Empty(queues.TakeReady(Now, 16));

        // A's head fails: A's next event still waits for it; B is free to go on.
        var a1 = ready.Single(d => d.DeliveryId == 1);
        queues.Complete(a1, finished: false, Now.AddSeconds(5));
        queues.Add(D(4, "orders/B", 2));
        Assert.Empty(queues.TakeReady(Now, 16));
        queues.Complete(ready.Single(d => d.DeliveryId == 3), finished: true, Now);
        Assert.Equal([4L], queues.TakeReady(Now, 16).Select(d => d.DeliveryId));
        Assert.Equal(Now.AddSeconds(5), queues.NextDue());

        // Once A's head is delivered (or dead-lettered), A's next one is ready.
        Assert.Equal([1L], queues.TakeReady(Now.AddSeconds(5), 16).Select(d => d.DeliveryId));
        queues.Complete(a1, finished: true, Now);
        Assert.Equal([2L], queues.TakeReady(Now.AddSeconds(5), 16).Select(d => d.DeliveryId));
    }

    [Fact]
    public void A_subjects_events_go_in_sequence_order_whatever_order_they_were_queued_in()
    {
        var queues = new SubjectQueues();
        queues.Add(D(1, "orders/A", 3));
        queues.Add(D(2, "orders/A", 1));
        queues.Add(D(3, "orders/A", 2));
        var order = new List<long>();
        while (queues.Count > 0)
        {
            var head = Assert.Single(queues.TakeReady(Now, 16));
            order.Add(head.Sequence);
            queues.Complete(head, finished: true, Now);
        }

        Assert.Equal([1L, 2L, 3L], order);
    }

    [Fact]
    public void Capacity_bounds_what_is_in_flight_and_a_reschedule_makes_a_waiting_delivery_due()
    {
        var queues = new SubjectQueues();
        for (var i = 1; i <= 40; i++)
        {
            queues.Add(D(i, $"orders/{i}", 1, Now.AddMinutes(10)));
        }

        Assert.Empty(queues.TakeReady(Now, 16));
        Assert.True(queues.Reschedule(7, Now, 0));
        Assert.Equal([7L], queues.TakeReady(Now, 16).Select(d => d.DeliveryId));
        Assert.False(queues.Reschedule(7, Now, 0));
        Assert.Equal(16, queues.TakeReady(Now.AddMinutes(10), 16).Count);
        Assert.Equal(17, queues.InFlight);
    }
}
