using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Oms.Grains.Persistence;
using Orleans.Concurrency;
using Orleans.Configuration;

namespace Oms.Grains.Recovery;

/// <summary>A watch that fell due and was claimed by a sweep: its next look is already moved one period on.</summary>
[GenerateSerializer, Immutable, Alias("oms.DueWatch")]
public sealed record DueWatch([property: Id(0)] GrainId Grain, [property: Id(1)] string Name, [property: Id(2)] DateTimeOffset Due, [property: Id(3)] TimeSpan Period);

/// <summary>
/// The durable schedule of <see cref="GrainWatch"/>: when each watched grain is next looked at. An index of work
/// that may need finishing, never the truth: the grain decides from its own state at each tick.
/// </summary>
public interface IWatchTable
{
    /// <summary>Completes once the watch is durable: its first look at <paramref name="due"/>, then every <paramref name="period"/>.</summary>
    Task Watch(GrainId grain, string name, DateTimeOffset due, TimeSpan period);

    /// <summary>Completes once the watch is gone. Calls for one grain take effect in the order they were made.</summary>
    Task Stop(GrainId grain, string name);

    /// <summary>
    /// Takes up to <paramref name="limit"/> watches due by <paramref name="now"/> and moves each one period on, so a
    /// tick that is lost with its silo comes again, and two sweeps never take the same watch at once.
    /// </summary>
    Task<IReadOnlyList<DueWatch>> Claim(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);
}

/// <summary>
/// <c>oms_watch</c>: the watches and stops of every grain of the silo go out together while one write is in flight,
/// in one queue, so a grain's stop never overtakes its own earlier watch.
/// </summary>
public sealed class PostgresWatchTable(OmsDatabase database, IOptions<ClusterOptions> cluster) : IWatchTable
{
    private readonly GroupCommit<Change> _changes = new(batch => Write(database, cluster.Value.ServiceId, batch));

    public Task Watch(GrainId grain, string name, DateTimeOffset due, TimeSpan period) =>
        _changes.Submit(new Change(grain.ToString(), name, due, period));

    public Task Stop(GrainId grain, string name) => _changes.Submit(new Change(grain.ToString(), name, null, default));

    public async Task<IReadOnlyList<DueWatch>> Claim(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            WITH claimed AS (
                SELECT grain_id, name FROM oms_watch
                WHERE service_id = @service AND due <= @now
                ORDER BY due LIMIT @limit
                FOR UPDATE SKIP LOCKED)
            UPDATE oms_watch AS w SET due = @now + w.period_ms * interval '1 millisecond'
            FROM claimed c
            WHERE w.service_id = @service AND w.grain_id = c.grain_id AND w.name = c.name
            RETURNING w.grain_id, w.name, w.period_ms
            """, connection);
        command.Parameters.AddWithValue("service", cluster.Value.ServiceId);
        command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = now.UtcDateTime });
        command.Parameters.AddWithValue("limit", (long)limit);
        var due = new List<DueWatch>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(new DueWatch(GrainId.Parse(reader.GetString(0)), reader.GetString(1), now, TimeSpan.FromMilliseconds(reader.GetInt64(2))));
        }

        return due;
    }

    private static async Task Write(OmsDatabase database, string serviceId, IReadOnlyList<Change> batch)
    {
        // Only a grain's last change counts; what is left is one change per watch, so the upserts and deletes
        // touch different rows and may go in either order, in one implicit transaction.
        var last = batch.GroupBy(c => (c.Grain, c.Name)).Select(g => g.Last()).ToList();
        var watches = last.Where(c => c.Due is not null).ToList();
        var stops = last.Where(c => c.Due is null).ToList();
        await using var connection = await database.OpenAsync();
        await using var write = new NpgsqlBatch(connection);
        if (watches.Count > 0)
        {
            var upsert = new NpgsqlBatchCommand("""
                INSERT INTO oms_watch (service_id, grain_id, name, due, period_ms)
                SELECT @service, * FROM unnest(@grains, @names, @dues, @periods)
                ON CONFLICT (service_id, grain_id, name) DO UPDATE SET due = EXCLUDED.due, period_ms = EXCLUDED.period_ms
                """);
            upsert.Parameters.AddWithValue("service", serviceId);
            upsert.Parameters.Add(new NpgsqlParameter("grains", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = watches.Select(w => w.Grain).ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = watches.Select(w => w.Name).ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter("dues", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = watches.Select(w => w.Due!.Value.UtcDateTime).ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter("periods", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = watches.Select(w => (long)w.Period.TotalMilliseconds).ToArray() });
            write.BatchCommands.Add(upsert);
        }

        if (stops.Count > 0)
        {
            var delete = new NpgsqlBatchCommand("""
                DELETE FROM oms_watch AS w USING unnest(@grains, @names) AS s(grain_id, name)
                WHERE w.service_id = @service AND w.grain_id = s.grain_id AND w.name = s.name
                """);
            delete.Parameters.AddWithValue("service", serviceId);
            delete.Parameters.Add(new NpgsqlParameter("grains", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = stops.Select(w => w.Grain).ToArray() });
            delete.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = stops.Select(w => w.Name).ToArray() });
            write.BatchCommands.Add(delete);
        }

        await write.ExecuteNonQueryAsync();
    }

    /// <summary>A watch when <see cref="Due"/> is set, else a stop.</summary>
    private sealed record Change(string Grain, string Name, DateTimeOffset? Due, TimeSpan Period);
}

/// <summary>The embedded default's table: one grain per cluster, so every silo's sweep sees every watch.</summary>
public sealed class MemoryWatchTable(IGrainFactory grains) : IWatchTable
{
    private IMemoryWatchTableGrain Table => grains.GetGrain<IMemoryWatchTableGrain>(0);

    public Task Watch(GrainId grain, string name, DateTimeOffset due, TimeSpan period) => Table.Watch(grain, name, due, period);

    public Task Stop(GrainId grain, string name) => Table.Stop(grain, name);

    public Task<IReadOnlyList<DueWatch>> Claim(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Table.Claim(now, limit);
}

[Alias("oms.IMemoryWatchTableGrain")]
public interface IMemoryWatchTableGrain : IGrainWithIntegerKey
{
    [Alias("Watch")]
    Task Watch(GrainId grain, string name, DateTimeOffset due, TimeSpan period);

    [Alias("Stop")]
    Task Stop(GrainId grain, string name);

    [Alias("Claim")]
    Task<IReadOnlyList<DueWatch>> Claim(DateTimeOffset now, int limit);
}

[KeepAlive]
public sealed class MemoryWatchTableGrain : Grain, IMemoryWatchTableGrain
{
    private readonly Dictionary<(GrainId Grain, string Name), (DateTimeOffset Due, TimeSpan Period)> _watches = [];

    public Task Watch(GrainId grain, string name, DateTimeOffset due, TimeSpan period)
    {
        _watches[(grain, name)] = (due, period);
        return Task.CompletedTask;
    }

    public Task Stop(GrainId grain, string name)
    {
        _watches.Remove((grain, name));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<DueWatch>> Claim(DateTimeOffset now, int limit)
    {
        var due = _watches.Where(w => w.Value.Due <= now).OrderBy(w => w.Value.Due).Take(limit)
            .Select(w => new DueWatch(w.Key.Grain, w.Key.Name, now, w.Value.Period)).ToList();
        foreach (var watch in due)
        {
            _watches[(watch.Grain, watch.Name)] = (now + watch.Period, watch.Period);
        }

        return Task.FromResult<IReadOnlyList<DueWatch>>(due);
    }
}
