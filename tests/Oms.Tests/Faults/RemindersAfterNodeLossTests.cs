using System.Collections.Concurrent;
using Npgsql;
using Oms.Contracts.Events;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Webhooks;
using Oms.Tests.Fulfilment;
using Oms.Tests.Infrastructure;
using Oms.Tests.Webhooks;
using Xunit.Abstractions;

namespace Oms.Tests.Faults;

/// <summary>
/// Work a silo owned when it was killed without a goodbye, and that nobody asks about afterwards, still happens on
/// time on the silo that is left: a fulfilment's deadlines (enforced by a grain timer while it lives, by reminders
/// after) and a webhook's retry (kept in PostgreSQL, resumed by the sweep). Effects are read from PostgreSQL, never
/// from the grains: a read would activate them and hide a reminder or a sweep that came late.
/// </summary>
[Collection("postgres")]
public sealed class RemindersAfterNodeLossTests(PostgresFixture postgres, ITestOutputHelper output)
{
    /// <summary>How late an effect may be after its deadline (plus the watch period) or its retry's due time: the
    /// survivor has to notice the death, take over the dead silo's reminder range or sweep its subscriptions awake,
    /// and reload what they owe from PostgreSQL, on a shared two-core machine.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(8);

    private static readonly TimeSpan WatchPeriod = TimeSpan.FromSeconds(2);

    /// <summary>How long before the first deadline (or retry) the silo dies.</summary>
    private static readonly TimeSpan KillAhead = TimeSpan.FromSeconds(2.5);

    /// <summary>
    /// Ship-to-home requests not accepted in time (no reminder of their own yet: the order's reminder wakes them)
    /// and click-and-collect parcels not collected in time (their own watch reminder), on both silos; the one that
    /// is not the primary is killed a few seconds before the deadlines. Every deadline is enforced within a watch
    /// period and a margin of itself, those of the dead silo's grains included.
    /// </summary>
    [Fact]
    public async Task Fulfilment_deadlines_of_grains_on_a_killed_silo_are_enforced_on_time_without_anyone_reading_them()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_reminders_fulfilment");
        await using var cluster = await TestClusters.StartAsync(connectionString, Network.Unique("svc"), extra: new Dictionary<string, string?>
        {
            ["Oms:Fulfilment:AcceptMinute"] = "00:00:01",
            ["Oms:Fulfilment:PickupDay"] = "00:00:01",
            ["Oms:Fulfilment:WatchPeriod"] = WatchPeriod.ToString(),
        });
        var grains = cluster.Client;
        var (warehouse, boutique) = (Network.Unique("WH"), Network.Unique("BTQ"));
        var (parcel, bag) = (Network.Unique("PARCEL"), Network.Unique("BAG"));
        var lat = FulfilmentDeadlineTests.Customer.Lat;
        var lon = FulfilmentDeadlineTests.Customer.Lon;
        // Twelve profile minutes (seconds) to accept, ten days (seconds) to collect: long enough to place the orders
        // and kill the silo well before, short enough to watch.
        await FulfilmentDeadlineTests.Location(cluster, warehouse, LocationType.Warehouse, lat, lon, acceptWithin: 12);
        await FulfilmentDeadlineTests.Location(cluster, boutique, LocationType.Boutique, lat + 0.5, lon + 0.5, holdForPickup: 10);
        await Network.Stock(grains, warehouse, parcel, 50);
        await Network.Stock(grains, boutique, bag, 50);
        await FulfilmentDeadlineTests.WaitOnline(cluster, parcel, 50);
        await FulfilmentDeadlineTests.WaitOnline(cluster, bag, 50);

        var management = grains.GetGrain<IManagementGrain>(0);
        var doomed = cluster.Silos[1].SiloAddress;
        var deadlines = new Dictionary<string, (string Kind, DateTimeOffset At, bool OnKilledSilo)>();
        async Task<bool> Hosted(string orderId) =>
            await management.GetActivationAddress(grains.GetGrain<IFulfilmentGrain>(orderId)) is { } at && at.Equals(doomed);

        // Three pairs of orders: two placed on the silo to be killed, one on the survivor. Placement alone spreads
        // them unevenly (a run once put only one of six requests there), so each order's first call carries Orleans'
        // placement hint, which the grains it activates (its fulfilment) inherit; where they landed is still checked.
        for (var i = 0; i < 3; i++)
        {
            var target = cluster.Silos[i < 2 ? 1 : 0].SiloAddress;
            var shipId = Network.Unique("ORD");
            var placed = await On(target, () => grains.GetGrain<IOrderGrain>(shipId).Place(FulfilmentDeadlineTests.ShipOrder(shipId, parcel)));
            Assert.Equal(PlaceOrderOutcome.Created, placed.Outcome);
            var request = placed.Order!.Fulfilments.Single();
            Assert.Equal((warehouse, FulfilmentStatus.Requested), (request.LocationId, request.Status));
            deadlines[shipId] = ("accept", request.AcceptBy!.Value, await Hosted(shipId));

            var pickupId = Network.Unique("ORD");
            placed = await On(target, () => grains.GetGrain<IOrderGrain>(pickupId).Place(PickupOrder(pickupId, boutique, bag)));
            Assert.Equal(PlaceOrderOutcome.Created, placed.Outcome);
            var fulfilmentId = placed.Order!.Fulfilments.Single().FulfilmentId;
            var ready = await On(target, () => grains.GetGrain<IFulfilmentGrain>(pickupId).Report(fulfilmentId,
                new FulfilmentReport($"store-{pickupId}", FulfilmentReportType.ReadyForPickup, [new FulfilmentLine("1", 1)]), null));
            Assert.Equal((FulfilmentReportOutcome.Applied, FulfilmentStatus.ReadyForPickup), (ready.Outcome, ready.Fulfilment!.Status));
            deadlines[pickupId] = ("collect", ready.Fulfilment.CollectBy!.Value, await Hosted(pickupId));
        }

        var onKilled = deadlines.Where(d => d.Value.OnKilledSilo).ToList();
        Assert.True(onKilled.Count(d => d.Value.Kind == "accept") >= 2 && onKilled.Count(d => d.Value.Kind == "collect") >= 2,
            $"the silo to kill hosts {onKilled.Count} of {deadlines.Count} fulfilments: {string.Join(", ", onKilled.Select(d => d.Value.Kind))}");

        // Killed shortly before the first deadline, as a crash would come: the grain timers die with the silo, and a
        // reminder on the survivor has at most a watch period or so before the deadline passes.
        var first = deadlines.Values.Min(d => d.At);
        await WaitUntil(first - KillAhead);
        await cluster.KillSiloAsync(cluster.Silos[1]);
        var killedAt = DateTimeOffset.UtcNow;
        // Killed after a deadline, a grain timer on the dead silo might have enforced it already: nothing would be tested.
        Assert.True(first - killedAt > TimeSpan.FromSeconds(1), $"killed only {(first - killedAt).TotalSeconds:0.0} s before the first deadline");
        output.WriteLine($"killed {doomed} {(first - killedAt).TotalSeconds:0.0} s before the first deadline; it hosted {onKilled.Count} of {deadlines.Count} fulfilments");

        var last = deadlines.Values.Max(d => d.At);
        var back = new Dictionary<string, DateTimeOffset>();
        var watched = onKilled.ToDictionary(d => d.Key, d => (IAddressable)grains.GetGrain<IFulfilmentGrain>(d.Key));
        var enforced = await Eventually.Until(async () =>
            {
                await Reappearances(management, watched, doomed, back);
                return await DeadlineEvents(connectionString, deadlines.Keys);
            }, e => e.Count == deadlines.Count,
            last - DateTimeOffset.UtcNow + WatchPeriod + Margin + TimeSpan.FromSeconds(10), "every deadline's event is in the feed");

        var late = new List<string>();
        foreach (var (orderId, (kind, at, killed)) in deadlines)
        {
            var (type, time) = enforced[orderId];
            Assert.Equal(kind == "accept" ? EventTypes.FulfilmentRejected : EventTypes.FulfilmentExpired, type);
            var lateness = time - at;
            output.WriteLine($"{kind,-7} {(killed ? "killed silo" : "survivor  ")} enforced {lateness.TotalSeconds,5:0.0} s after its deadline"
                + (back.TryGetValue(orderId, out var reappeared) ? $", active on the survivor {(reappeared - killedAt).TotalSeconds:0.0} s after the kill" : ""));
            // PostgreSQL keeps microseconds, the deadline has ticks: a hair's difference is not early.
            Assert.True(lateness > -TimeSpan.FromMilliseconds(1), $"{orderId}'s {kind} deadline was enforced {-lateness.TotalMilliseconds:0.000} ms early");
            if (lateness > WatchPeriod + Margin)
            {
                late.Add($"{orderId} ({kind}, {(killed ? "on the killed silo" : "on the survivor")}): {lateness.TotalSeconds:0.0} s late");
            }
        }

        var worst = onKilled.Max(d => enforced[d.Key].Time - d.Value.At);
        output.WriteLine($"worst lateness on the killed silo: {worst.TotalSeconds:0.0} s (allowed {(WatchPeriod + Margin).TotalSeconds:0} s)");
        Assert.True(late.Count == 0, string.Join("; ", late));

        // What the events say happened did: each order shows the consequence (asked only now, when lateness is measured).
        foreach (var (orderId, (kind, _, _)) in deadlines)
        {
            var order = (await grains.GetGrain<IOrderGrain>(orderId).Get())!;
            var f = order.Fulfilments.Single();
            Assert.Equal(kind == "accept" ? FulfilmentStatus.Rejected : FulfilmentStatus.Expired, f.Status);
        }
    }

    /// <summary>
    /// Subscriptions whose receiver answers each delivery's first attempt with 503, under the production retry
    /// schedule (the first retry 5 s later) and sweep; once the failures are durable, the silo hosting some of the
    /// subscriptions is killed. Every retry still reaches the receiver, with the same webhook-id, within a margin of
    /// its scheduled time, and is delivered once.
    /// </summary>
    [Fact]
    public async Task Webhook_retries_owned_by_a_killed_silo_still_reach_the_receiver_on_time_with_the_same_id()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_reminders_webhooks");
        // Only internal targets allowed (the receiver is on loopback): the retry schedule and the sweep are production's.
        await using var cluster = await TestClusters.StartAsync(connectionString, Network.Unique("svc"), extra: new Dictionary<string, string?>
        {
            ["Oms:Webhooks:AllowInsecureTargets"] = "true",
        });
        await using var receiver = await Receiver.StartAsync();
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0}] cluster up");
        var seen = new ConcurrentDictionary<(string Path, string Id), int>();
        receiver.Answer = r => (seen.AddOrUpdate((r.Path, r.Id), 1, (_, n) => n + 1) == 1 ? 503 : 204, null);

        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        var doomed = cluster.Silos[1].SiloAddress;
        var subscriptions = new Dictionary<string, (string Path, bool OnKilledSilo)>();
        // Subscribed over the real API, which then goes: afterwards everything is read from the store, and an API node
        // whose long-poll sat on the dead silo would hold the teardown for its 30 s response timeout. Placement alone
        // spreads subscriptions unevenly (a run once put one of twenty there), so every other request carries Orleans'
        // placement hint for the silo to be killed, through the in-memory server; where each landed is still checked.
        await using (var api = WebhookClusters.Api(cluster))
        {
            api.Server.PreserveExecutionContext = true;
            using var http = api.CreateAdminClient();
            for (var i = 0; i < 20 && (subscriptions.Count < 4 || subscriptions.Values.Count(s => s.OnKilledSilo) < 2); i++)
            {
                var path = $"/hook/{i}";
                var (id, _) = await On(cluster.Silos[i % 2 == 0 ? 1 : 0].SiloAddress, () => WebhookApi.Subscribe(http, receiver.Url(path), "order.*"));
                var at = await management.GetActivationAddress(cluster.Client.GetGrain<IWebhookGrain>(id));
                subscriptions[id] = (path, at is { } silo && silo.Equals(doomed));
            }
        }

        var onKilled = subscriptions.Where(s => s.Value.OnKilledSilo).Select(s => s.Key).ToList();
        Assert.True(onKilled.Count >= 2, $"the silo to kill hosts {onKilled.Count} of {subscriptions.Count} subscriptions");

        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0}] subscribed");
        var emitted = (await WebhookApi.Emit(cluster.Feed(), (EventTypes.OrderPlaced, Subjects.Order(Network.Unique("ORD")), 1L))).Single();
        var eventId = emitted.EventId.ToString();

        // Killed once every first attempt failed and its retry is durable, shortly before the retries are due: what
        // happens next is the store's and the survivor's sweep's.
        var failed = await Eventually.Until(() => Deliveries(connectionString, subscriptions.Keys),
            d => d.Count == subscriptions.Count && d.Values.All(x => x is { Status: "pending", Failures: 1, NextAttemptAt: not null }),
            TimeSpan.FromSeconds(15), "every subscription's first attempt failed and was recorded");
        var firstRetry = failed.Values.Min(d => d.NextAttemptAt!.Value);
        await WaitUntil(firstRetry - KillAhead);
        await cluster.KillSiloAsync(cluster.Silos[1]);
        var killedAt = DateTimeOffset.UtcNow;
        Assert.True(firstRetry - killedAt > TimeSpan.FromSeconds(1), $"killed only {(firstRetry - killedAt).TotalSeconds:0.0} s before the first retry was due");
        Assert.All(subscriptions.Values, s => Assert.Equal(1, receiver.Requests.Count(r => r.Path == s.Path)));
        output.WriteLine($"killed {doomed} {(firstRetry - killedAt).TotalSeconds:0.0} s before the first retry was due; it hosted {onKilled.Count} of {subscriptions.Count} subscriptions");

        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0}] killed");
        var lastRetry = failed.Values.Max(d => d.NextAttemptAt!.Value);
        var back = new Dictionary<string, DateTimeOffset>();
        var watched = onKilled.ToDictionary(id => id, id => (IAddressable)cluster.Client.GetGrain<IWebhookGrain>(id));
        await Eventually.Until(async () =>
            {
                await Reappearances(management, watched, doomed, back);
                return subscriptions.Values.Count(s => receiver.Requests.Any(r => r.Path == s.Path && r.Status == 204));
            },
            n => n == subscriptions.Count, lastRetry - DateTimeOffset.UtcNow + Margin + TimeSpan.FromSeconds(10), "every subscription's retry reached the receiver");
        var delivered = await Eventually.Until(() => Deliveries(connectionString, subscriptions.Keys), d => d.Values.All(x => x.Status == "delivered"),
            TimeSpan.FromSeconds(10), "every delivery is recorded as delivered");

        var late = new List<string>();
        foreach (var (id, (path, killed)) in subscriptions)
        {
            var requests = receiver.Requests.Where(r => r.Path == path).ToList();
            // At least once, under one id: the receiver dedupes by it.
            Assert.All(requests, r => Assert.Equal(eventId, r.Id));
            Assert.Equal(503, requests[0].Status);
            Assert.Equal(1, requests.Count(r => r.Status == 204));
            Assert.Equal(1, delivered[id].Failures);
            var retry = requests.First(r => r.Status == 204);
            var lateness = retry.At - failed[id].NextAttemptAt!.Value;
            output.WriteLine($"{(killed ? "killed silo" : "survivor  ")} retry arrived {lateness.TotalSeconds,5:0.0} s after it was due ({requests.Count} requests)"
                + (back.TryGetValue(id, out var reappeared) ? $", active on the survivor {(reappeared - killedAt).TotalSeconds:0.0} s after the kill" : ""));
            Assert.True(lateness > TimeSpan.FromMilliseconds(-100), $"{id}'s retry came {-lateness.TotalSeconds:0.0} s early");
            if (lateness > Margin)
            {
                late.Add($"{id} ({(killed ? "on the killed silo" : "on the survivor")}): {lateness.TotalSeconds:0.0} s late");
            }
        }

        var worst = onKilled.Max(id => receiver.Requests.First(r => r.Path == subscriptions[id].Path && r.Status == 204).At - failed[id].NextAttemptAt!.Value);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0}] worst lateness on the killed silo: {worst.TotalSeconds:0.0} s (allowed {Margin.TotalSeconds:0} s)");
        Assert.True(late.Count == 0, string.Join("; ", late));
    }

    /// <summary>
    /// Notes when each grain of the dead silo is first seen active on a live one, asking the directory only (a lookup
    /// never activates): evidence that a reminder or the sweep brought it back, not a leftover of the dead silo.
    /// </summary>
    private static async Task Reappearances(IManagementGrain management, Dictionary<string, IAddressable> grains, SiloAddress dead, Dictionary<string, DateTimeOffset> seen)
    {
        foreach (var (key, grain) in grains.Where(g => !seen.ContainsKey(g.Key)))
        {
            try
            {
                if (await management.GetActivationAddress(grain) is { } at && !at.Equals(dead))
                {
                    seen[key] = DateTimeOffset.UtcNow;
                }
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                // Only a diagnostic: the client may still be finding out that a gateway died.
            }
        }
    }

    /// <summary>The call, and any grain it activates, placed on <paramref name="silo"/> if it can be.</summary>
    private static async Task<T> On<T>(SiloAddress silo, Func<Task<T>> call)
    {
        RequestContext.Set(Orleans.Runtime.Placement.IPlacementDirector.PlacementHintKey, silo);
        try
        {
            return await call();
        }
        finally
        {
            RequestContext.Remove(Orleans.Runtime.Placement.IPlacementDirector.PlacementHintKey);
        }
    }

    private static async Task WaitUntil(DateTimeOffset at)
    {
        var wait = at - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    private static PlaceOrder PickupOrder(string orderId, string boutique, string sku) => new(
        OrderChannel.Web, new Customer("C-" + orderId, null, "Ada Lovelace"),
        [new OrderLine("1", sku, 1, 100m, "EUR")],
        new Delivery(DeliveryMethod.ClickAndCollect, null, boutique),
        null);

    private static NpgsqlConnection Unpooled(string connectionString) =>
        new(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);

    /// <summary>Each order's deadline event (a timed-out request or an expired parcel) and when it was decided, from the feed's table.</summary>
    private static async Task<Found<(string Type, DateTimeOffset Time)>> DeadlineEvents(string connectionString, IEnumerable<string> orderIds)
    {
        await using var connection = Unpooled(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT subject, type, time FROM oms_events WHERE type = ANY(@types) AND subject = ANY(@subjects)", connection);
        command.Parameters.AddWithValue("types", new[] { EventTypes.FulfilmentRejected, EventTypes.FulfilmentExpired });
        command.Parameters.AddWithValue("subjects", orderIds.Select(Subjects.Order).ToArray());
        var events = new Found<(string, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            events[reader.GetString(0)["orders/".Length..]] = (reader.GetString(1), new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero));
        }

        return events;
    }

    /// <summary>Rows by key, printed readably when <see cref="Eventually"/> gives up.</summary>
    private sealed class Found<T> : Dictionary<string, T>
    {
        public override string ToString() => $"{Count} found: {string.Join("; ", this.Select(kv => $"{kv.Key} = {kv.Value}"))}";
    }

    private sealed record StoredDelivery(string Status, int Failures, DateTimeOffset? NextAttemptAt);

    /// <summary>Each subscription's one delivery as the store holds it.</summary>
    private static async Task<Found<StoredDelivery>> Deliveries(string connectionString, IEnumerable<string> webhookIds)
    {
        await using var connection = Unpooled(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT webhook_id, status, failures, next_attempt_at FROM oms_webhook_delivery WHERE webhook_id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", webhookIds.ToArray());
        var rows = new Found<StoredDelivery>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = new StoredDelivery(reader.GetString(1), reader.GetInt32(2),
                reader.IsDBNull(3) ? null : new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero));
        }

        return rows;
    }
}
