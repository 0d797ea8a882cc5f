using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Oms.Contracts.Events;
using Oms.Contracts.Webhooks;
using Oms.Grains.Persistence;

namespace Oms.Grains.Webhooks;

/// <summary>The webhook store in PostgreSQL (tables from 010-webhooks.sql). Every change is one statement, so each
/// is atomic without an explicit transaction, and queueing N events costs one round trip, not N.</summary>
public sealed class PostgresWebhookStore(OmsDatabase database) : IWebhookStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Columns = "delivery_id, event_id, type, subject, sequence, position, body, status, failures, attempts, next_attempt_at, created_at";

    public async Task Start(string webhookId, long position, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO oms_webhook_cursor (webhook_id, position, updated_at) VALUES (@id, @position, now())
            ON CONFLICT (webhook_id) DO NOTHING
            """, connection);
        command.Parameters.AddWithValue("id", webhookId);
        command.Parameters.AddWithValue("position", position);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long?> Cursor(string webhookId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT position FROM oms_webhook_cursor WHERE webhook_id = @id", connection);
        command.Parameters.AddWithValue("id", webhookId);
        return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : null;
    }

    public async Task<IReadOnlyList<StoredDelivery>> Enqueue(string webhookId, long expectedCursor, long cursor, IReadOnlyList<FeedEvent> events, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (events.Count == 0)
        {
            await using var move = new NpgsqlCommand(
                "UPDATE oms_webhook_cursor SET position = @cursor, updated_at = now() WHERE webhook_id = @id AND position = @expected", connection);
            move.Parameters.AddWithValue("id", webhookId);
            move.Parameters.AddWithValue("cursor", cursor);
            move.Parameters.AddWithValue("expected", expectedCursor);
            return await move.ExecuteNonQueryAsync(cancellationToken) == 1 ? [] : throw new WebhookCursorConflictException(webhookId, expectedCursor);
        }

        // One statement: the cursor's compare-and-set hands out the ids, and the rows exist only if it succeeded.
        var added = await Insert(connection, webhookId, "position = @cursor, ", "AND position = @expected", events, now, command =>
        {
            command.Parameters.AddWithValue("cursor", cursor);
            command.Parameters.AddWithValue("expected", expectedCursor);
        }, cancellationToken);
        return added.Count == events.Count ? added : throw new WebhookCursorConflictException(webhookId, expectedCursor);
    }

    public async Task<IReadOnlyList<StoredDelivery>> Requeue(string webhookId, IReadOnlyList<FeedEvent> events, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0)
        {
            return [];
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        return await Insert(connection, webhookId, "", "", events, now, _ => { }, cancellationToken);
    }

    private static async Task<IReadOnlyList<StoredDelivery>> Insert(
        NpgsqlConnection connection, string webhookId, string setCursor, string condition, IReadOnlyList<FeedEvent> events, DateTimeOffset now,
        Action<NpgsqlCommand> bind, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            WITH ids AS (
                UPDATE oms_webhook_cursor SET {setCursor}next_delivery = next_delivery + @n, updated_at = now()
                WHERE webhook_id = @id {condition}
                RETURNING next_delivery - @n AS first
            )
            INSERT INTO oms_webhook_delivery (webhook_id, delivery_id, event_id, position, type, subject, sequence, body, status, failures, attempts, next_attempt_at, created_at)
            SELECT @id, ids.first + e.ord - 1, e.event_id, e.position, e.type, e.subject, e.sequence, e.body, 'pending', 0, '[]'::jsonb, @now, @now
            FROM ids, unnest(@event_ids, @positions, @types, @subjects, @sequences, @bodies) WITH ORDINALITY
                AS e(event_id, position, type, subject, sequence, body, ord)
            RETURNING delivery_id, position
            """, connection);
        command.Parameters.AddWithValue("id", webhookId);
        command.Parameters.AddWithValue("n", (long)events.Count);
        command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = now.UtcDateTime });
        command.Parameters.AddWithValue("event_ids", events.Select(e => e.EventId).ToArray());
        command.Parameters.AddWithValue("positions", events.Select(e => e.Position).ToArray());
        command.Parameters.AddWithValue("types", events.Select(e => e.Type).ToArray());
        command.Parameters.AddWithValue("subjects", events.Select(e => e.Subject).ToArray());
        command.Parameters.AddWithValue("sequences", events.Select(e => e.Sequence).ToArray());
        command.Parameters.AddWithValue("bodies", events.Select(e => e.Body).ToArray());
        bind(command);
        var ids = new Dictionary<long, long>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ids[reader.GetInt64(1)] = reader.GetInt64(0);
            }
        }

        if (ids.Count == 0)
        {
            return [];
        }

        return [.. events.Select(e => new StoredDelivery(ids[e.Position], e.EventId, e.Type, e.Subject, e.Sequence, e.Position, e.Body,
            DeliveryStatus.Pending, 0, [], now, now)).OrderBy(d => d.DeliveryId)];
    }

    public async Task<IReadOnlyList<StoredDelivery>> Open(string webhookId, long afterDeliveryId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM oms_webhook_delivery WHERE webhook_id = @id AND status = 'pending' AND delivery_id > @after ORDER BY delivery_id LIMIT @limit", connection);
        command.Parameters.AddWithValue("id", webhookId);
        command.Parameters.AddWithValue("after", afterDeliveryId);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadAll(command, cancellationToken);
    }

    public async Task Record(string webhookId, IReadOnlyList<DeliveryUpdate> updates, CancellationToken cancellationToken = default)
    {
        if (updates.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        // The attempt log keeps its newest entries: "jsonb - 0" drops the oldest when it is full.
        await using var command = new NpgsqlCommand($"""
            UPDATE oms_webhook_delivery d
            SET status = u.status, failures = u.failures, next_attempt_at = u.next_attempt_at,
                attempts = CASE WHEN jsonb_array_length(d.attempts) >= {WebhookLimits.MaxAttemptsKept} THEN (d.attempts - 0) ELSE d.attempts END
                           || jsonb_build_array(u.attempt::jsonb)
            FROM unnest(@ids, @statuses, @failures, @attempts, @nexts) AS u(delivery_id, status, failures, attempt, next_attempt_at)
            WHERE d.webhook_id = @id AND d.delivery_id = u.delivery_id
            """, connection);
        command.Parameters.AddWithValue("id", webhookId);
        command.Parameters.AddWithValue("ids", updates.Select(u => u.DeliveryId).ToArray());
        command.Parameters.AddWithValue("statuses", updates.Select(u => StatusName(u.Status)).ToArray());
        command.Parameters.AddWithValue("failures", updates.Select(u => u.Failures).ToArray());
        command.Parameters.AddWithValue("attempts", updates.Select(u => JsonSerializer.Serialize(u.Attempt, Json)).ToArray());
        command.Parameters.Add(new NpgsqlParameter("nexts", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
        {
            Value = updates.Select(u => u.NextAttemptAt?.UtcDateTime).ToArray(),
        });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<StoredDelivery?> Retry(string webhookId, long deliveryId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            UPDATE oms_webhook_delivery SET status = 'pending', failures = 0, next_attempt_at = @now
            WHERE webhook_id = @id AND delivery_id = @delivery
            RETURNING {Columns}
            """, connection);
        command.Parameters.AddWithValue("id", webhookId);
        command.Parameters.AddWithValue("delivery", deliveryId);
        command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = now.UtcDateTime });
        return (await ReadAll(command, cancellationToken)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<StoredDelivery>> List(string webhookId, DeliveryFilter filter, long? before, int limit, CancellationToken cancellationToken = default)
    {
        var where = filter switch
        {
            DeliveryFilter.Pending => "AND status = 'pending'",
            DeliveryFilter.Failed => "AND status = 'pending' AND jsonb_array_length(attempts) > 0",
            DeliveryFilter.Delivered => "AND status = 'delivered'",
            DeliveryFilter.DeadLettered => "AND status = 'deadLettered'",
            _ => "",
        };
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM oms_webhook_delivery
            WHERE webhook_id = @id AND delivery_id < @before {where}
            ORDER BY delivery_id DESC LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("id", webhookId);
        command.Parameters.AddWithValue("before", before ?? long.MaxValue);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadAll(command, cancellationToken);
    }

    public async Task Drop(string webhookId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            DELETE FROM oms_webhook_delivery WHERE webhook_id = @id;
            DELETE FROM oms_webhook_cursor WHERE webhook_id = @id
            """, connection);
        command.Parameters.AddWithValue("id", webhookId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> Prune(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            DELETE FROM oms_webhook_delivery WHERE ctid IN (
                SELECT ctid FROM oms_webhook_delivery WHERE status <> 'pending' AND created_at < @before LIMIT @limit)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("before", NpgsqlDbType.TimestampTz) { Value = before.UtcDateTime });
        command.Parameters.AddWithValue("limit", limit);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<StoredDelivery>> ReadAll(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<StoredDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new StoredDelivery(
                reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetInt64(5),
                reader.GetString(6), ParseStatus(reader.GetString(7)), reader.GetInt32(8),
                JsonSerializer.Deserialize<List<DeliveryAttempt>>(reader.GetString(9), Json) ?? [],
                reader.IsDBNull(10) ? null : new DateTimeOffset(reader.GetDateTime(10), TimeSpan.Zero),
                new DateTimeOffset(reader.GetDateTime(11), TimeSpan.Zero)));
        }

        return rows;
    }

    private static string StatusName(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Delivered => "delivered",
        DeliveryStatus.DeadLettered => "deadLettered",
        _ => "pending",
    };

    private static DeliveryStatus ParseStatus(string status) => status switch
    {
        "delivered" => DeliveryStatus.Delivered,
        "deadLettered" => DeliveryStatus.DeadLettered,
        _ => DeliveryStatus.Pending,
    };
}
