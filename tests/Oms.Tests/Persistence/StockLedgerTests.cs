using Npgsql;
using Oms.Contracts.Stock;
using Oms.Grains.Hosting;
using Oms.Grains.Persistence;
using Oms.Grains.Stock;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Persistence;

/// <summary>The append-only ledger and group commit, on real PostgreSQL.</summary>
[Collection("postgres")]
public sealed class StockLedgerTests(PostgresFixture postgres)
{
    private Task<string> FreshDatabase() => postgres.CreateOmsDatabaseAsync("oms_ledger");

    private static async Task<T> Scalar<T>(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Concurrent_holds_share_appends_and_every_acknowledged_one_survives_a_restart()
    {
        var connectionString = await FreshDatabase();
        var serviceId = Network.Unique("svc");
        string location;
        string[] acknowledged;

        await using (var cluster = await TestClusters.StartAsync(connectionString, serviceId))
        {
            location = await Network.Location(cluster.Client);
            await Network.Stock(cluster.Client, location, "DROP", 300);
            var item = Network.Item(cluster.Client, location, "DROP");
            var expires = DateTimeOffset.UtcNow.AddHours(1);

            var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(async i =>
                (Id: $"BUYER-{i}", Result: await item.PlaceHold($"BUYER-{i}", 1, expires))));

            acknowledged = [.. results.Where(r => r.Result.Outcome == HoldOutcome.Held).Select(r => r.Id)];
            Assert.Equal(300, acknowledged.Length);
        }

        var key = $"DROP@{location}";
        var holds = await Scalar<long>(connectionString, "SELECT count(*) FROM oms_stock_ledger WHERE stock_key = @k AND kind = 'holdPlaced'", ("k", key));
        var appends = await Scalar<long>(connectionString, "SELECT count(DISTINCT batch) FROM oms_stock_ledger WHERE stock_key = @k AND kind = 'holdPlaced'", ("k", key));
        Assert.Equal(300, holds);
        Assert.True(appends < 300 / 2, $"300 holds took {appends} appends; group commit should batch them");

        await using var restarted = await TestClusters.StartAsync(connectionString, serviceId);
        var after = Network.Item(restarted.Client, location, "DROP");
        var level = await after.GetLevel();
        Assert.Equal((300, 300, 0), (level.OnHand, level.Reserved, level.Available));
        foreach (var id in acknowledged.Take(20))
        {
            // A replay of an acknowledged hold is recognised as already held, so it was durable.
            Assert.Equal(HoldOutcome.AlreadyHeld, (await after.PlaceHold(id, 1, DateTimeOffset.UtcNow.AddHours(1))).Outcome);
        }

        Assert.Equal(300, (await after.GetLevel()).Reserved);
        Assert.True((await after.Verify()).Consistent);
    }

    [Fact]
    public async Task An_append_failure_mid_flight_fails_exactly_its_batch_and_memory_returns_to_the_ledger()
    {
        var connectionString = await FreshDatabase();
        await using var cluster = await TestClusters.StartAsync(connectionString, Network.Unique("svc"));
        var location = await Network.Location(cluster.Client);
        await Network.Stock(cluster.Client, location, "BAG", 1_000);
        var item = Network.Item(cluster.Client, location, "BAG");
        var key = $"BAG@{location}";

        // Another writer takes the next sequence behind the grain's back: its next append must collide.
        var last = await Scalar<long>(connectionString, "SELECT max(seq) FROM oms_stock_ledger WHERE stock_key = @k", ("k", key));
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO oms_stock_ledger (stock_key, seq, batch, kind, quantity, reference, at)
                VALUES (@k, @s, @s, 'adjusted', 5, 'FOREIGN-ADJ', now())
                """, connection);
            insert.Parameters.AddWithValue("k", key);
            insert.Parameters.AddWithValue("s", last + 1);
            await insert.ExecuteNonQueryAsync();
        }

        var expires = DateTimeOffset.UtcNow.AddHours(1);
        var attempts = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            try
            {
                return (Id: $"R-{i}", Held: (await item.PlaceHold($"R-{i}", 2, expires)).Outcome == HoldOutcome.Held);
            }
            catch (Exception)
            {
                return (Id: $"R-{i}", Held: false);
            }
        }));

        var held = attempts.Where(a => a.Held).Select(a => a.Id).ToHashSet();
        var inLedger = new HashSet<string>();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var read = new NpgsqlCommand("SELECT reference FROM oms_stock_ledger WHERE stock_key = @k AND kind = 'holdPlaced'", connection);
            read.Parameters.AddWithValue("k", key);
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                inLedger.Add(reader.GetString(0));
            }
        }

        Assert.True(held.Count < 60, "the first batch should have failed");
        Assert.NotEmpty(held);
        Assert.Equal(held.Order(), inLedger.Order());
        var level = await item.GetLevel();
        Assert.Equal((1_005, held.Count * 2), (level.OnHand, level.Reserved));
        Assert.True((await item.Verify()).Consistent);
    }

    [Fact]
    public async Task Appends_of_many_items_share_commits_and_a_stale_one_fails_alone()
    {
        var connectionString = await FreshDatabase();
        var ledger = new PostgresStockLedger(new OmsDatabase(connectionString));
        var at = DateTimeOffset.UtcNow;
        StockMovement Hold(long sequence, string reference) => new(sequence, MovementKind.HoldPlaced, 1, reference, at, at.AddHours(1));
        await ledger.Append("STALE@LOC", 0, [new StockMovement(1, MovementKind.SnapshotApplied, 10, "feed", at)]);

        // Two rounds of 200 items at once, each round with a writer that believes STALE@LOC is still empty.
        for (var round = 0; round < 2; round++)
        {
            var appends = Enumerable.Range(0, 200)
                .Select(i => ledger.Append($"SPREAD-{i}@LOC", round, [Hold(round + 1, $"R{round}-{i}")], new HoldDeadline(at.AddHours(1))))
                .ToList();
            var stale = ledger.Append("STALE@LOC", 0, [Hold(1, $"LATE-{round}")]);

            await Task.WhenAll(appends);
            await Assert.ThrowsAsync<StockLedgerConflictException>(() => stale);
        }

        // Rows inserted in one transaction carry its id: far fewer commits than appends.
        var commits = await Scalar<long>(connectionString, "SELECT count(DISTINCT xmin::text) FROM oms_stock_ledger WHERE stock_key LIKE 'SPREAD-%'");
        Assert.True(commits < 100, $"400 appends over 200 items took {commits} commits");
        Assert.Equal(400L, await Scalar<long>(connectionString, "SELECT count(*) FROM oms_stock_ledger WHERE stock_key LIKE 'SPREAD-%'"));
        Assert.Equal(200L, await Scalar<long>(connectionString, "SELECT count(*) FROM oms_hold_deadline WHERE stock_key LIKE 'SPREAD-%'"));

        // The stale writer recorded nothing, and each item's ledger folds to two holds.
        var staleState = await ledger.Load("STALE@LOC");
        Assert.Equal((1L, 10), (StockPosition.Replay(staleState.Tail, staleState.Snapshot).Sequence, StockPosition.Replay(staleState.Tail).OnHand));
        var sample = await ledger.Load("SPREAD-7@LOC");
        Assert.Equal((2L, 2), (StockPosition.Replay(sample.Tail, sample.Snapshot).Sequence, StockPosition.Replay(sample.Tail).OpenHolds));
    }

    [Fact]
    public async Task Two_writers_on_one_key_cannot_fork_the_ledger()
    {
        var connectionString = await FreshDatabase();
        var ledger = new PostgresStockLedger(new OmsDatabase(connectionString));
        var clock = TimeProvider.System;
        var options = new StockOptions();
        var first = new StockJournal("SKU@LOC", ledger, clock, options);
        var second = new StockJournal("SKU@LOC", ledger, clock, options);
        await first.Load();
        await second.Load();

        // Both believe they are at sequence 0; the first to append wins.
        await first.Submit((p, now, m) => p.ApplySnapshot(1, 10, null, now, m));
        await Assert.ThrowsAsync<StockLedgerConflictException>(() =>
            second.Submit((p, now, m) => p.ApplyAdjustment("ADJ-1", 99, now, m)));

        // The loser reloaded: it now sees the winner's snapshot, and its own next change builds on it.
        Assert.Equal(10, second.Position.OnHand);
        Assert.Equal(HoldDecision.Held, await second.Submit((p, now, m) => p.PlaceHold("R1", 4, now.AddMinutes(5), now, m)));
        await Assert.ThrowsAsync<StockLedgerConflictException>(() =>
            first.Submit((p, now, m) => p.PlaceHold("R2", 10, now.AddMinutes(5), now, m)));

        await second.Submit((p, now, m) => p.PlaceHold("R3", 1, now.AddMinutes(5), now, m, customerId: "C-77"));
        var movements = await ledger.Read("SKU@LOC", 0, 2);
        Assert.Equal("C-77", (await ledger.ReadReference("SKU@LOC", "R3")).Single().CustomerId);
        Assert.Equal([1L, 2L], movements.Select(m => m.Sequence));
        Assert.Equal([MovementKind.SnapshotApplied, MovementKind.HoldPlaced], movements.Select(m => m.Kind));
        Assert.Equal(6, StockPosition.Replay(movements).Available);
    }

    [Fact]
    public async Task Activation_replays_only_what_follows_the_latest_snapshot()
    {
        var connectionString = await FreshDatabase();
        var ledger = new PostgresStockLedger(new OmsDatabase(connectionString));
        var writer = new StockJournal("SKU@LOC", ledger, TimeProvider.System, new StockOptions { SnapshotEvery = 10 });
        await writer.Load();
        for (var i = 1; i <= 25; i++)
        {
            await writer.Submit((p, now, m) => p.ApplySnapshot(i, 1_000 + i, null, now, m));
        }

        // Snapshots are written off the append path, so the last one may land a moment after the append.
        var state = await Eventually.Until(() => ledger.Load("SKU@LOC"), s => s.Snapshot?.Sequence >= 20,
            TimeSpan.FromSeconds(10), "a snapshot at least every 10 movements");
        Assert.True(state.Tail.Count < 10, $"replays {state.Tail.Count} movements after the snapshot");
        Assert.Equal(writer.Position.Describe(), StockPosition.Replay(state.Tail, state.Snapshot).Describe());
    }

    [Fact]
    public async Task A_position_with_many_open_holds_is_snapshotted_in_proportion_to_its_size()
    {
        var connectionString = await FreshDatabase();
        var ledger = new PostgresStockLedger(new OmsDatabase(connectionString));
        var writer = new StockJournal("SKU@LOC", ledger, TimeProvider.System, new StockOptions { SnapshotEvery = 10 });
        await writer.Load();
        await writer.Submit((p, now, m) => p.ApplySnapshot(1, 1_000, null, now, m));
        for (var i = 0; i < 40; i++)
        {
            await writer.Submit((p, now, m) => p.PlaceHold($"R{i}", 1, now.AddHours(1), now, m));
        }

        // 41 movements against 40 open holds: a snapshot now would cost more than the replay it saves.
        Assert.Null((await ledger.Load("SKU@LOC")).Snapshot);

        for (var i = 2; i <= 45; i++)
        {
            await writer.Submit((p, now, m) => p.ApplySnapshot(i, 1_000, null, now, m));
        }

        var state = await Eventually.Until(() => ledger.Load("SKU@LOC"), s => s.Snapshot is not null,
            TimeSpan.FromSeconds(10), "a snapshot once the movements outnumber twice the open holds");
        Assert.InRange(state.Snapshot!.Sequence, 80, 85);
        Assert.Equal(40, state.Snapshot.OpenHolds);
        Assert.Equal(writer.Position.Describe(), StockPosition.Replay(state.Tail, state.Snapshot).Describe());
    }
}
