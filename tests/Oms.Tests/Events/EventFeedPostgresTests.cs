using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Oms.Contracts.Availability;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Events;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Stock;
using Oms.Grains.Events;
using Oms.Grains.Persistence;
using Oms.Tests.Infrastructure;
using Oms.Tests.Webhooks;

namespace Oms.Tests.Events;

/// <summary>The outbox and the feed on PostgreSQL: concurrent writers, late commits, crashes and restarts.</summary>
[Collection("postgres")]
public sealed class EventFeedPostgresTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_reader_paging_with_after_sees_every_event_once_in_order_while_many_writers_append()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_feed_concurrency");
        // Two stores, as two silos would have, each with its own pool.
        var stores = new[] { Store(connectionString, "silo-a"), Store(connectionString, "silo-b") };
        const int Writers = 8, Batches = 60;
        var written = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var subject = $"orders/W{w}";
            long sequence = 0;
            for (var b = 0; b < Batches; b++)
            {
                var batch = Enumerable.Range(0, 1 + (b % 4))
                    .Select(_ => new OutboxEvent(Guid.NewGuid(), EventTypes.OrderNoteAdded, subject, ++sequence, DateTimeOffset.UtcNow, "{}"))
                    .ToList();
                await stores[w % 2].Append(batch);
                foreach (var e in batch)
                {
                    written.Add(e.EventId);
                }
            }
        })).ToList();

        var seen = new List<FeedEvent>();
        long after = 0;
        var done = Task.WhenAll(writers);
        while (true)
        {
            var finished = done.IsCompleted;
            var page = await stores[0].Read(after, 37, null);
            seen.AddRange(page);
            after = page.Count > 0 ? page[^1].Position : after;
            if (finished && page.Count == 0)
            {
                break;
            }
        }

        await done;
        Assert.Equal(written.Count, seen.Count);
        Assert.Equal(written.Order(), seen.Select(e => e.EventId).Order());
        Assert.Equal(seen.Select(e => e.Position).Order(), seen.Select(e => e.Position));
        Assert.Equal(seen.Count, seen.Select(e => e.Position).Distinct().Count());
        foreach (var subject in seen.GroupBy(e => e.Subject))
        {
            // One subject's events enter the feed in its order, with no gap.
            Assert.Equal(Enumerable.Range(1, subject.Count()).Select(i => (long)i), subject.Select(e => e.Sequence));
        }
    }

    [Fact]
    public async Task An_append_that_commits_late_holds_back_the_positions_after_it()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_feed_late_commit");
        var store = Store(connectionString, "silo-a");
        await store.Append([Event("orders/A", 1)]);

        // A writer that has its position and has not committed: it holds the feed's lock, as any append does.
        await using var slow = new NpgsqlConnection(connectionString);
        await slow.OpenAsync();
        await using var transaction = await slow.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand($$"""
            SELECT pg_advisory_xact_lock({{PostgresEventStore.FeedLock}});
            INSERT INTO oms_events (position, event_id, type, subject, sequence, time, body)
            VALUES (2, gen_random_uuid(), 'order.noteAdded', 'orders/SLOW', 1, now(), '{}');
            """, slow, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        var fast = store.Append([Event("orders/B", 1)]);
        await Task.Delay(500);
        Assert.False(fast.IsCompleted, "a later append waits for the one before it to commit");
        Assert.Equal([1L], (await store.Read(0, 100, null)).Select(e => e.Position));

        await transaction.CommitAsync();
        var appended = await fast.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, appended.Single().Position);
        Assert.Equal([1L, 2L, 3L], (await store.Read(0, 100, null)).Select(e => e.Position));
    }

    [Fact]
    public async Task The_same_event_appended_twice_is_in_the_feed_once()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_feed_dedupe");
        var store = Store(connectionString, "silo-a");
        var e = Event("orders/A", 1);
        await Task.WhenAll(store.Append([e]), Store(connectionString, "silo-b").Append([e]), store.Append([e, e]));

        // Another event claiming a sequence already given is a fork, not news: the first stands.
        Assert.Empty(await store.Append([Event("orders/A", 1)]));
        var feed = await store.Read(0, 100, null);
        Assert.Equal(e.EventId, Assert.Single(feed).EventId);
    }

    [Fact]
    public async Task Retention_drops_only_events_older_than_the_cut_oldest_first_and_a_bounded_batch_at_a_time()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_feed_retention");
        var store = Store(connectionString, "silo-a");
        var now = DateTimeOffset.UtcNow;
        await store.Append([.. Enumerable.Range(1, 5).Select(i => Event("orders/OLD", i) with { Time = now.AddDays(-40) })]);
        await store.Append([Event("orders/NEW", 1) with { Time = now }]);

        Assert.Equal(3, await store.Prune(now.AddDays(-30), 3));
        Assert.Equal(2, await store.Prune(now.AddDays(-30), 3));
        Assert.Equal(0, await store.Prune(now.AddDays(-30), 3));
        var left = await store.Read(0, 100, null);
        Assert.Equal(("orders/NEW", 6L), (Assert.Single(left).Subject, left[0].Position));

        // Positions are never reused after a prune, even one that finds everything old: the newest event stays.
        Assert.Equal(0, await store.Prune(now.AddDays(1), 100));
        Assert.Equal(7, (await store.Append([Event("orders/NEW", 2)])).Single().Position);
    }

    [Fact]
    public async Task Events_written_before_a_silo_died_reach_the_feed_once_and_the_subscriber_with_the_ids_they_were_written_with()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_outbox_crash");
        await using var cluster = await WebhookClusters.StartAsync(connectionString, Network.Unique("svc"));
        var grains = cluster.Client;
        await using var receiver = await Receiver.StartAsync();
        await using var api = WebhookClusters.Api(cluster);
        using var http = api.CreateAdminClient();
        await WebhookApi.Subscribe(http, receiver.Url(), "order.placed", "stock.outOfStock");
        var warehouse = Network.Unique("WH");
        await grains.GetGrain<ILocationGrain>(warehouse).Upsert(new LocationInfo(warehouse, warehouse, LocationType.Warehouse, 49.0, 2.5, "FR", "Europe/Paris"));
        var skus = Enumerable.Range(0, 12).Select(i => Network.Unique($"OBX{i}")).ToList();
        foreach (var sku in skus)
        {
            await Network.Stock(grains, warehouse, sku, 2);
        }

        await Eventually.Until(() => Scalar(connectionString, "SELECT count(*) FROM oms_events WHERE type = 'stock.backInStock'"),
            n => n >= skus.Count, TimeSpan.FromSeconds(10), "every item's arrival is in the feed");
        foreach (var sku in skus)
        {
            await Eventually.Until(() => grains.GetGrain<INetworkGrain>(0).GetAvailability(sku, AvailabilityView.Online),
                v => v.Available == 2, TimeSpan.FromSeconds(5), $"{sku} shows online");
        }

        await Task.Delay(TestClusters.ProfileRefresh * 2);

        // The feed stops taking events: every change below is durable with its event, and none can be moved.
        await using var blocker = new NpgsqlConnection(connectionString);
        await blocker.OpenAsync();
        var block = await blocker.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE oms_events IN ACCESS EXCLUSIVE MODE", blocker, block))
        {
            await command.ExecuteNonQueryAsync();
        }

        var orders = skus.Take(8).Select(sku => (Id: Network.Unique("ORD"), Sku: sku)).ToList();
        var placing = orders.Select(o => grains.GetGrain<IOrderGrain>(o.Id).Place(Order(o.Sku))).ToList();
        foreach (var sku in skus.Skip(8))
        {
            Assert.Equal(StockOutcome.Applied, (await Network.Item(grains, warehouse, sku).ApplyAdjustment(Network.Unique("ADJ"), -2, "count")).Outcome);
        }

        var stockIds = await Eventually.Until(() => Ids(connectionString, "SELECT event_id::text FROM oms_outbox WHERE type = 'stock.outOfStock'"),
            ids => ids.Count == 4, TimeSpan.FromSeconds(10), "the stock items' events wait in the outbox");
        var orderIds = await Eventually.Until(() => Ids(connectionString, """
            SELECT p ->> 'eventId' FROM orleansstorage, jsonb_array_elements(convert_from(payloadbinary, 'UTF8')::jsonb -> 'events' -> 'pending') AS p
            WHERE p ->> 'type' = 'order.placed'
            """), ids => ids.Count == orders.Count, TimeSpan.FromSeconds(20), "every order is allocated with its event in its state");

        // A silo dies without a goodbye while half of those events live only in its memory's plans to move them.
        await cluster.KillSiloAsync(cluster.Silos[1]);
        await block.RollbackAsync();

        var expected = stockIds.Concat(orderIds).ToList();
        var inFeed = await Eventually.Until(
            () => Ids(connectionString, $"SELECT event_id::text FROM oms_events WHERE event_id::text = ANY(ARRAY['{string.Join("','", expected)}'])"),
            ids => ids.Count == expected.Count, TimeSpan.FromSeconds(90), "every event written with its change reaches the feed");
        Assert.Equal(expected.Order(), inFeed.Order());

        // Exactly one order.placed per order, and one stock.outOfStock per emptied item: none invented on the way.
        Assert.Equal(orders.Count, await Scalar(connectionString, "SELECT count(*) FROM oms_events WHERE type = 'order.placed'"));
        Assert.Equal(4, await Scalar(connectionString, "SELECT count(*) FROM oms_events WHERE type = 'stock.outOfStock'"));
        Assert.Equal(0, await Scalar(connectionString, "SELECT count(*) FROM oms_outbox"));

        // And the back-end hears of each, under the id it was written with (a silo's death may repeat a delivery,
        // never change its id or add one that was not written).
        var delivered = await Eventually.Until(() => Task.FromResult(receiver.Requests.Select(r => r.Id).ToHashSet()),
            ids => expected.All(ids.Contains), TimeSpan.FromSeconds(60), "every one of those events is delivered to the subscriber");
        Assert.Empty(delivered.Except(expected));
        await Task.WhenAll(placing.Select(p => p.ContinueWith(_ => { })));
    }

    [Fact]
    public async Task A_skus_availability_event_is_watched_by_a_shared_row_not_a_reminder_and_the_row_goes_once_it_is_in_the_feed()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_availability_watch");
        await using var cluster = await WebhookClusters.StartAsync(connectionString, Network.Unique("svc"));
        var grains = cluster.Client;
        var warehouse = Network.Unique("WH");
        await grains.GetGrain<ILocationGrain>(warehouse).Upsert(new LocationInfo(warehouse, warehouse, LocationType.Warehouse, 49.0, 2.5, "FR", "Europe/Paris"));
        var skus = Enumerable.Range(0, 20).Select(i => Network.Unique($"AVW{i}")).ToList();
        await Task.WhenAll(skus.Select(sku => Network.Stock(grains, warehouse, sku, 3)));

        // A catalogue load crosses many SKUs into stock at once: each watches its event with a row of the shared
        // table, which a reminder each (a row write of its own, a tick and a delete) used to do through the pool.
        var watched = $"SELECT count(*) FROM oms_watch WHERE name = 'availability-outbox' AND grain_id = ANY(ARRAY['{string.Join("','", skus.Select(s => $"skuavailability/{s}"))}'])";
        await Eventually.Until(() => Scalar(connectionString, watched), n => n == skus.Count, TimeSpan.FromSeconds(10), "every crossing is watched");
        Assert.Equal(0, await Scalar(connectionString, "SELECT count(*) FROM orleansreminderstable WHERE remindername = 'availability-outbox'"));

        // The first look finds the event in the feed and the watch goes; each event is there once.
        await Eventually.Until(() => Scalar(connectionString, watched), n => n == 0, TimeSpan.FromSeconds(40), "every watch goes after its first look");
        var announced = $"SELECT count(*) FROM oms_events WHERE type = '{EventTypes.AvailabilityBackInStock}' AND subject = ANY(ARRAY['{string.Join("','", skus.Select(Subjects.Availability))}'])";
        Assert.Equal(skus.Count, await Scalar(connectionString, announced));
    }

    [Fact]
    public async Task One_line_reservations_whose_silo_died_announce_their_expiry_on_time_and_once()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_reservation_expiry");
        await using var cluster = await TestClusters.StartAsync(connectionString, Network.Unique("svc"));
        var grains = cluster.Client;
        var location = await Network.Location(grains);
        await Network.Stock(grains, location, "RSV", 100);
        var ids = Enumerable.Range(0, 12).Select(i => Network.Unique($"RES{i}")).ToList();
        foreach (var id in ids)
        {
            var created = await grains.GetGrain<Oms.Contracts.Reservations.IReservationGrain>(id).Create(new([new("RSV", location, 1)], 3));
            Assert.Equal(Oms.Contracts.Reservations.ReservationOutcome.Created, created.Outcome);
        }

        // Twelve reservations over two silos: some lived on the one that dies without a goodbye before they lapse.
        await cluster.KillSiloAsync(cluster.Silos[1]);

        var expired = await Eventually.Until(
            () => Ids(connectionString, "SELECT subject FROM oms_events WHERE type = 'reservation.expired'"),
            found => ids.All(id => found.Contains(Subjects.Reservation(id))), TimeSpan.FromSeconds(30), "every reservation announces its expiry");
        Assert.Equal(ids.Count, expired.Count);
        // The sweep removes the rows of the reservations it settled only after the whole batch has lapsed, so an
        // expiry can reach the feed a moment before its row goes.
        await Eventually.Until(() => Scalar(connectionString, "SELECT count(*) FROM oms_reservation_deadline"), left => left == 0,
            TimeSpan.FromSeconds(10), "every settled reservation's deadline row is removed");
        Assert.Equal(100, (await Network.Item(grains, location, "RSV").GetLevel()).Available);
    }

    [Fact]
    public async Task The_feed_and_each_subjects_sequence_survive_a_restart_of_the_whole_cluster()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_feed_restart");
        var serviceId = Network.Unique("svc");
        var warehouse = Network.Unique("WH");
        var sku = Network.Unique("SKU");
        var orderId = Network.Unique("ORD");

        var first = await TestClusters.StartAsync(connectionString, serviceId);
        await first.Client.GetGrain<ILocationGrain>(warehouse).Upsert(new LocationInfo(warehouse, warehouse, LocationType.Warehouse, 49.0, 2.5, "FR", "Europe/Paris"));
        await Network.Stock(first.Client, warehouse, sku, 3);
        await Eventually.Until(() => first.Client.GetGrain<INetworkGrain>(0).GetAvailability(sku, AvailabilityView.Online),
            v => v.Available == 3, TimeSpan.FromSeconds(5), "the SKU shows online");
        await Task.Delay(TestClusters.ProfileRefresh * 2);
        Assert.Equal(PlaceOrderOutcome.Created, (await first.Client.GetGrain<IOrderGrain>(orderId).Place(Order(sku))).Outcome);
        var before = (await Eventually.Until(() => first.Client.GetGrain<IEventFeedGrain>(0).ReadSubject(Subjects.Order(orderId), 0, 100),
            p => p.Events.Count == 2, TimeSpan.FromSeconds(5), "order.placed and fulfilment.requested are in the feed")).Events;
        await Task.WhenAll(first.Silos.ToList().Select(silo => first.KillSiloAsync(silo)));
        await first.DisposeAsync();

        await using var second = await TestClusters.StartAsync(connectionString, serviceId);
        var feed = second.Client.GetGrain<IEventFeedGrain>(0);
        Assert.Equal(before.Select(e => (e.EventId, e.Position, e.Body)), (await feed.ReadSubject(Subjects.Order(orderId), 0, 100)).Events.Select(e => (e.EventId, e.Position, e.Body)));

        var cancelled = await second.Client.GetGrain<IFulfilmentGrain>(orderId).Cancel(new CancelOrder(Network.Unique("CXL"), "changed mind", null, ""));
        Assert.Equal(CancelOutcome.Cancelled, cancelled.Outcome);
        var events = await Eventually.Until(() => feed.ReadSubject(Subjects.Order(orderId), 0, 100), p => p.Events.Count == 4,
            TimeSpan.FromSeconds(5), "the cancellation follows in the feed");
        Assert.Equal([(3L, EventTypes.FulfilmentCancelled), (4L, EventTypes.OrderCancelled)], events.Events.Skip(2).Select(e => (e.Sequence, e.Type)));
        Assert.True(events.Events[2].Position > before[1].Position);
    }

    private static PlaceOrder Order(string sku) => new(
        OrderChannel.Web, new Customer(Network.Unique("CUS"), null, null),
        [new OrderLine("1", sku, 1, 100m, "EUR")],
        new Delivery(DeliveryMethod.ShipToHome, new DeliveryAddress("1 Main St", "Paris", "75001", "FR", 48.86, 2.34), null),
        null);

    private static OutboxEvent Event(string subject, long sequence) =>
        new(Guid.NewGuid(), EventTypes.OrderNoteAdded, subject, sequence, DateTimeOffset.UtcNow, """{"note":"x"}""");

    private static PostgresEventStore Store(string connectionString, string application) => new(
        new OmsDatabase(new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = application }.ConnectionString),
        Options.Create(new EventOptions()), NullLogger<PostgresEventStore>.Instance);

    private static async Task<long> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private static async Task<List<string>> Ids(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
