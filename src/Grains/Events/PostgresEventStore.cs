using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Oms.Contracts.Events;
using Oms.Grains.Persistence;

namespace Oms.Grains.Events;

/// <summary>
/// The feed in <c>oms_events</c> (009-events.sql). Appends take one advisory lock for the transaction, so
/// positions are given and committed by one writer at a time across every silo: commit order is position order.
/// Long-polls wake on <c>NOTIFY oms_events</c>, sent by the appending transaction at commit.
/// </summary>
public sealed class PostgresEventStore(OmsDatabase database, IOptions<EventOptions> options, ILogger<PostgresEventStore> logger)
    : IEventStore, IAsyncDisposable
{
    // "OMS_EVT": only has to differ from the schema installer's lock and other applications'.
    public const long FeedLock = 0x4F4D535F455654;
    private const string Channel = "oms_events";
    private const string Columns = "position, event_id, type, subject, sequence, time, body";

    private readonly CloudEventCodec _codec = new(options.Value.Source);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _listener;
    private long _head;

    public async Task<IReadOnlyList<FeedEvent>> Append(IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken = default)
    {
        var unique = events.DistinctBy(e => e.EventId).ToList();
        if (unique.Count == 0)
        {
            return [];
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long head;
        var known = new HashSet<Guid>();
        await using (var command = new NpgsqlCommand($"""
            SELECT pg_advisory_xact_lock({FeedLock});
            SELECT coalesce(max(position), 0) FROM oms_events;
            SELECT i.event_id FROM oms_events e
            JOIN unnest(@ids, @subjects, @sequences) AS i(event_id, subject, sequence)
              ON e.event_id = i.event_id OR (e.subject = i.subject AND e.sequence = i.sequence)
            """, connection, transaction))
        {
            command.Parameters.Add(Array("ids", NpgsqlDbType.Uuid, unique.Select(e => e.EventId)));
            command.Parameters.Add(Array("subjects", NpgsqlDbType.Text, unique.Select(e => e.Subject)));
            command.Parameters.Add(Array("sequences", NpgsqlDbType.Bigint, unique.Select(e => e.Sequence)));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            head = reader.GetInt64(0);
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                known.Add(reader.GetGuid(0));
            }
        }

        // A duplicate by subject and sequence under another id is a second version of an event already out: the first stands.
        var seen = new HashSet<(string, long)>();
        var stored = new List<FeedEvent>(unique.Count);
        foreach (var e in unique)
        {
            if (known.Contains(e.EventId) || !seen.Add((e.Subject, e.Sequence)))
            {
                continue;
            }

            var position = head + stored.Count + 1;
            stored.Add(new FeedEvent(position, e.EventId, e.Type, e.Subject, e.Sequence, e.Time, _codec.Encode(e, position)));
        }

        await using (var command = new NpgsqlCommand($"""
            INSERT INTO oms_events ({Columns})
            SELECT * FROM unnest(@positions, @ids, @types, @subjects, @sequences, @times, @bodies)
            ON CONFLICT DO NOTHING;
            DELETE FROM oms_outbox WHERE event_id = ANY(@all);
            SELECT pg_notify('{Channel}', @head::text);
            """, connection, transaction))
        {
            command.Parameters.Add(Array("positions", NpgsqlDbType.Bigint, stored.Select(e => e.Position)));
            command.Parameters.Add(Array("ids", NpgsqlDbType.Uuid, stored.Select(e => e.EventId)));
            command.Parameters.Add(Array("types", NpgsqlDbType.Text, stored.Select(e => e.Type)));
            command.Parameters.Add(Array("subjects", NpgsqlDbType.Text, stored.Select(e => e.Subject)));
            command.Parameters.Add(Array("sequences", NpgsqlDbType.Bigint, stored.Select(e => e.Sequence)));
            command.Parameters.Add(Array("times", NpgsqlDbType.TimestampTz, stored.Select(e => e.Time.UtcDateTime)));
            command.Parameters.Add(Array("bodies", NpgsqlDbType.Text, stored.Select(e => e.Body)));
            command.Parameters.Add(Array("all", NpgsqlDbType.Uuid, unique.Select(e => e.EventId)));
            command.Parameters.AddWithValue("head", head + stored.Count);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        Advance(head + stored.Count);
        return stored;
    }

    public async Task<IReadOnlyList<FeedEvent>> Read(long after, int limit, IReadOnlyCollection<string>? types, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(types is null
            ? $"SELECT {Columns} FROM oms_events WHERE position > @after ORDER BY position LIMIT @limit"
            : $"SELECT {Columns} FROM oms_events WHERE position > @after AND type = ANY(@types) ORDER BY position LIMIT @limit", connection);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("limit", (long)limit);
        if (types is not null)
        {
            command.Parameters.Add(Array("types", NpgsqlDbType.Text, types));
        }

        return await ReadEvents(command, cancellationToken);
    }

    public async Task<IReadOnlyList<FeedEvent>> ReadSubject(string subject, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM oms_events WHERE subject = @subject AND sequence > @after ORDER BY sequence LIMIT @limit", connection);
        command.Parameters.AddWithValue("subject", subject);
        command.Parameters.AddWithValue("after", afterSequence);
        command.Parameters.AddWithValue("limit", (long)limit);
        return await ReadEvents(command, cancellationToken);
    }

    public async Task<long> Head(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT coalesce(max(position), 0) FROM oms_events", connection);
        var head = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        Advance(head);
        return head;
    }

    public async Task<long> WaitBeyond(long position, TimeSpan max, CancellationToken cancellationToken = default)
    {
        EnsureListening();
        var deadline = DateTime.UtcNow + max;
        var head = Volatile.Read(ref _head);
        if (head > position)
        {
            return head;
        }

        // The notification may have come before this wait began; the table is the truth.
        head = await Head(cancellationToken);
        while (head <= position)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            Task appended;
            lock (_gate)
            {
                appended = _appended.Task;
            }

            try
            {
                // A missed notification (the listener reconnecting) costs at most a second, never the whole wait.
                await appended.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellationToken);
                head = Volatile.Read(ref _head);
            }
            catch (TimeoutException)
            {
                head = await Head(cancellationToken);
            }
        }

        return head;
    }

    public async Task<IReadOnlyList<OutboxEvent>> Stranded(DateTimeOffset olderThan, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT event_id, type, subject, sequence, time, data FROM oms_outbox
            WHERE written_at < @before ORDER BY written_at LIMIT @limit
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("before", NpgsqlDbType.TimestampTz) { Value = olderThan.UtcDateTime });
        command.Parameters.AddWithValue("limit", (long)limit);
        var events = new List<OutboxEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new OutboxEvent(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero), reader.GetString(5)));
        }

        // Oldest first by subject sequence, so a subject's events enter the feed in their order.
        return [.. events.OrderBy(e => e.Subject, StringComparer.Ordinal).ThenBy(e => e.Sequence)];
    }

    /// <remarks>The newest event always stays: positions continue from it, so a reader's "after" is never reused.</remarks>
    public async Task<int> Prune(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            DELETE FROM oms_events WHERE position IN (
                SELECT position FROM oms_events
                WHERE time < @before AND position < (SELECT max(position) FROM oms_events)
                ORDER BY position LIMIT @limit)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("before", NpgsqlDbType.TimestampTz) { Value = before.UtcDateTime });
        command.Parameters.AddWithValue("limit", (long)limit);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_listener is not null)
        {
            await _listener.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }

    private void EnsureListening()
    {
        lock (_gate)
        {
            _listener ??= Task.Run(Listen);
        }
    }

    /// <summary>One connection per process listens, and wakes every local long-poll at once.</summary>
    private async Task Listen()
    {
        var failing = false;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenAsync(_stopping.Token);
                connection.Notification += (_, e) =>
                {
                    if (long.TryParse(e.Payload, out var head))
                    {
                        Advance(head);
                    }
                };
                await using (var command = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await command.ExecuteNonQueryAsync(_stopping.Token);
                }

                failing = false;
                while (!_stopping.IsCancellationRequested)
                {
                    await connection.WaitAsync(_stopping.Token);
                }
            }
            catch (Exception ex) when (!_stopping.IsCancellationRequested)
            {
                if (!failing)
                {
                    logger.LogWarning(ex, "The event feed's listener lost its connection; long-polls fall back to polling until it is back");
                }

                failing = true;
                await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void Advance(long head)
    {
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            if (head > _head)
            {
                _head = head;
                wake = _appended;
                _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        wake?.SetResult();
    }

    private static async Task<IReadOnlyList<FeedEvent>> ReadEvents(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var events = new List<FeedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new FeedEvent(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero), reader.GetString(6)));
        }

        return events;
    }

    private static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.ToArray() };
}
