using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Oms.Contracts.Security;
using Oms.Grains.Persistence;
using Orleans.Concurrency;

namespace Oms.Grains.Security;

/// <summary>
/// Appends to <c>oms_audit</c>, or to the cluster's in-memory log on the embedded default. A stateless worker:
/// the API nodes send batches, and any silo may write them.
/// </summary>
[StatelessWorker]
public sealed class AuditLogGrain(IServiceProvider services) : Grain, IAuditLogGrain
{
    public Task Append(IReadOnlyList<AuditEntry> entries) =>
        services.GetService<OmsDatabase>() is { } database ? Insert(database, entries) : Memory.Append(entries);

    public Task<AuditPage> Read(long after, string? actor, int limit) =>
        services.GetService<OmsDatabase>() is { } database ? Select(database, after, actor, limit) : Memory.Read(after, actor, limit);

    private IMemoryAuditLogGrain Memory => GrainFactory.GetGrain<IMemoryAuditLogGrain>(0);

    private static async Task Insert(OmsDatabase database, IReadOnlyList<AuditEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync();
        await using var command = new NpgsqlCommand("""
            INSERT INTO oms_audit (entry_id, at, actor, actor_name, role, method, route, path, resource_ids, status, request_id, remote_addr)
            SELECT * FROM unnest(@entry_id, @at, @actor, @actor_name, @role, @method, @route, @path, @resource_ids, @status, @request_id, @remote_addr)
            ON CONFLICT (entry_id) DO NOTHING
            """, connection);
        command.Parameters.Add(Array("entry_id", NpgsqlDbType.Uuid, entries.Select(e => e.EntryId)));
        command.Parameters.Add(Array("at", NpgsqlDbType.TimestampTz, entries.Select(e => e.At.UtcDateTime)));
        command.Parameters.Add(Array("actor", NpgsqlDbType.Text, entries.Select(e => e.Actor)));
        command.Parameters.Add(Array("actor_name", NpgsqlDbType.Text, entries.Select(e => e.ActorName)));
        command.Parameters.Add(Array("role", NpgsqlDbType.Text, entries.Select(e => e.Role)));
        command.Parameters.Add(Array("method", NpgsqlDbType.Text, entries.Select(e => e.Method)));
        command.Parameters.Add(Array("route", NpgsqlDbType.Text, entries.Select(e => e.Route)));
        command.Parameters.Add(Array("path", NpgsqlDbType.Text, entries.Select(e => e.Path)));
        command.Parameters.Add(Array("resource_ids", NpgsqlDbType.Jsonb, entries.Select(e => JsonSerializer.Serialize(e.ResourceIds))));
        command.Parameters.Add(Array("status", NpgsqlDbType.Integer, entries.Select(e => e.Status)));
        command.Parameters.Add(Array("request_id", NpgsqlDbType.Text, entries.Select(e => e.RequestId)));
        command.Parameters.Add(Array("remote_addr", NpgsqlDbType.Text, entries.Select(e => e.RemoteAddress)));
        await command.ExecuteNonQueryAsync();
    }

    private static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.ToArray() };

    private static async Task<AuditPage> Select(OmsDatabase database, long after, string? actor, int limit)
    {
        await using var connection = await database.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT audit_id, at, actor, actor_name, role, method, route, path, resource_ids::text, status, request_id, remote_addr, entry_id
            FROM oms_audit WHERE audit_id > @after AND (@actor::text IS NULL OR actor = @actor::text)
            ORDER BY audit_id LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.Add(new NpgsqlParameter("actor", NpgsqlDbType.Text) { Value = (object?)actor ?? DBNull.Value });
        command.Parameters.AddWithValue("limit", (long)limit + 1);
        var entries = new List<AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            entries.Add(new AuditEntry(
                reader.GetInt64(0),
                new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.GetString(7),
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(8)) ?? [],
                reader.GetInt32(9),
                reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.GetGuid(12)));
        }

        return AuditPages.Of(entries, limit);
    }
}

public static class AuditPages
{
    /// <param name="entries">Up to one more than <paramref name="limit"/>: the extra one says there is a next page.</param>
    public static AuditPage Of(IReadOnlyList<AuditEntry> entries, int limit) =>
        entries.Count > limit ? new([.. entries.Take(limit)], entries[limit - 1].AuditId) : new(entries, null);
}

[Alias("oms.IMemoryAuditLogGrain")]
public interface IMemoryAuditLogGrain : IGrainWithIntegerKey
{
    [Alias("Append")]
    Task Append(IReadOnlyList<AuditEntry> entries);

    [Alias("Read")]
    Task<AuditPage> Read(long after, string? actor, int limit);
}

/// <summary>
/// The embedded default's audit log: one per cluster and, like everything on that default, gone with the
/// process. Bounded, so a long demo cannot grow it without end: the oldest entries go first.
/// </summary>
[KeepAlive]
public sealed class MemoryAuditLogGrain : Grain, IMemoryAuditLogGrain
{
    public const int Capacity = 100_000;

    private readonly LinkedList<AuditEntry> _entries = new();
    private readonly HashSet<Guid> _kept = [];
    private long _lastId;

    public Task Append(IReadOnlyList<AuditEntry> entries)
    {
        foreach (var entry in entries.Where(e => _kept.Add(e.EntryId)))
        {
            _entries.AddLast(entry with { AuditId = ++_lastId });
            if (_entries.Count > Capacity)
            {
                _kept.Remove(_entries.First!.Value.EntryId);
                _entries.RemoveFirst();
            }
        }

        return Task.CompletedTask;
    }

    public Task<AuditPage> Read(long after, string? actor, int limit) =>
        Task.FromResult(AuditPages.Of([.. _entries.Where(e => e.AuditId > after && (actor is null || e.Actor == actor)).Take(limit + 1)], limit));
}
