using Microsoft.Extensions.Options;
using Npgsql;
using Oms.Grains.Hosting;
using Oms.Grains.Persistence;
using Oms.Grains.Recovery;
using Oms.Tests.Infrastructure;
using Orleans.Configuration;

namespace Oms.Tests.Recovery;

/// <summary>
/// The watch table on real PostgreSQL: what replaced a reminder per order, fulfilment and return must keep a
/// reminder's promises (a watch is durable once acknowledged, ticks until stopped, comes again when a tick is
/// lost) and never let two silos take the same tick or a grain's stop overtake its own watch.
/// </summary>
[Collection("postgres")]
public sealed class WatchTableTests(PostgresFixture postgres)
{
    private static readonly GrainId Order = GrainId.Create("order", "ORD-W1");

    private static PostgresWatchTable Table(string connectionString, string serviceId = "svc") =>
        new(new OmsDatabase(connectionString), Options.Create(new ClusterOptions { ServiceId = serviceId, ClusterId = "c" }));

    private static async Task<long> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_due_watch_is_taken_by_one_sweep_moved_a_period_on_and_taken_again_when_that_passes()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_watch_claim");
        var (first, second) = (Table(connectionString), Table(connectionString));
        var now = DateTimeOffset.UtcNow;
        await first.Watch(Order, "order-recovery", now.AddSeconds(-1), TimeSpan.FromSeconds(30));
        await first.Watch(GrainId.Create("order", "ORD-LATER"), "order-recovery", now.AddMinutes(5), TimeSpan.FromSeconds(30));

        var claims = await Task.WhenAll(first.Claim(now, 10), second.Claim(now, 10));

        var taken = Assert.Single(claims.SelectMany(c => c));
        Assert.Equal((Order, "order-recovery", TimeSpan.FromSeconds(30)), (taken.Grain, taken.Name, taken.Period));
        Assert.Empty(await first.Claim(now.AddSeconds(29), 10));
        Assert.Equal(Order, Assert.Single(await second.Claim(now.AddSeconds(30), 10)).Grain);
    }

    [Fact]
    public async Task Watches_and_stops_of_many_grains_keep_each_grains_order_and_a_stopped_watch_never_ticks()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_watch_order");
        var table = Table(connectionString);
        var past = DateTimeOffset.UtcNow.AddSeconds(-1);
        var grains = Enumerable.Range(0, 200).Select(i => GrainId.Create("fulfilment", $"ORD-{i}")).ToList();

        // Submitted together, so they share group commits; an even grain's last word is a stop, an odd one's a watch.
        await Task.WhenAll(grains.Select(async (grain, i) =>
        {
            var watch = table.Watch(grain, "fulfilment-watch", past, TimeSpan.FromMinutes(1));
            var stop = table.Stop(grain, "fulfilment-watch");
            var again = i % 2 == 1 ? table.Watch(grain, "fulfilment-watch", past, TimeSpan.FromMinutes(1)) : Task.CompletedTask;
            await Task.WhenAll(watch, stop, again);
        }));

        var due = await table.Claim(DateTimeOffset.UtcNow, 500);
        Assert.Equal(grains.Where((_, i) => i % 2 == 1).Order(), due.Select(d => d.Grain).Order());
        Assert.Equal(100, await Scalar(connectionString, "SELECT count(*) FROM oms_watch"));
    }

    [Fact]
    public async Task Another_service_in_the_same_database_never_takes_this_ones_watches()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_watch_service");
        await Table(connectionString, "svc-a").Watch(Order, "order-recovery", DateTimeOffset.UtcNow.AddSeconds(-1), TimeSpan.FromMinutes(1));

        Assert.Empty(await Table(connectionString, "svc-b").Claim(DateTimeOffset.UtcNow, 10));
        Assert.Single(await Table(connectionString, "svc-a").Claim(DateTimeOffset.UtcNow, 10));
    }

    [Fact]
    public async Task The_schema_moves_the_watch_reminders_of_an_earlier_version_into_the_table_and_leaves_other_reminders()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_watch_upgrade");
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO orleansreminderstable (serviceid, grainid, remindername, starttime, period, grainhash, version) VALUES
                ('svc', 'order/ORD-OLD', 'order-recovery', now() - interval '1 minute', 60000, 1, 0),
                ('svc', 'returns/ORD-OLD', 'returns-watch', now() + interval '1 hour', 300000, 2, 0),
                ('svc', 'skuavailability/SKU', 'availability-outbox', now() - interval '1 second', 60000, 3, 0),
                ('svc', 'stockitem/SKU@LOC', 'someone-elses', now(), 60000, 4, 0)
                """, connection);
            await insert.ExecuteNonQueryAsync();
        }

        // Every silo applies the schema at start: twice is the same as once.
        await SchemaInstaller.ApplyAsync(connectionString);
        await SchemaInstaller.ApplyAsync(connectionString);

        var due = await Table(connectionString).Claim(DateTimeOffset.UtcNow, 10);
        Assert.Equal(
            [(GrainId.Parse("skuavailability/SKU"), "availability-outbox", TimeSpan.FromMinutes(1)), (GrainId.Parse("order/ORD-OLD"), "order-recovery", TimeSpan.FromMinutes(1))],
            due.Select(d => (d.Grain, d.Name, d.Period)).OrderBy(d => d.Name, StringComparer.Ordinal));
        Assert.Equal(3, await Scalar(connectionString, "SELECT count(*) FROM oms_watch"));
        Assert.Equal(1, await Scalar(connectionString, "SELECT count(*) FROM orleansreminderstable"));
    }
}
