using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Oms.Grains.Hosting;
using Oms.Grains.Persistence;

namespace Oms.Grains.Stock;

/// <summary>
/// The ledger in PostgreSQL (tables from 005-stock-ledger.sql). An append is one INSERT of array parameters,
/// so its cost depends on the batch, never on how many holds are open; the primary key on (stock_key, seq) is
/// the optimistic concurrency check.
/// </summary>
public sealed class PostgresStockLedger(OmsDatabase database) : IStockLedger
{
    private const string UniqueViolation = "23505";

    public async Task<StockLedgerState> Load(string key, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        StockPosition? snapshot = null;
        await using (var command = new NpgsqlCommand("SELECT position FROM oms_stock_snapshot WHERE stock_key = @key", connection))
        {
            command.Parameters.AddWithValue("key", key);
            if (await command.ExecuteScalarAsync(cancellationToken) is string json)
            {
                snapshot = JsonSerializer.Deserialize<StockPosition>(json, JsonGrainStateSerializer.Options);
            }
        }

        StockSignalState? signal = null;
        await using (var command = new NpgsqlCommand("SELECT sequence, signal FROM oms_stock_signal WHERE stock_key = @key", connection))
        {
            command.Parameters.AddWithValue("key", key);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                signal = new StockSignalState(reader.GetInt64(0), Enum.Parse<StockSignal>(reader.GetString(1), ignoreCase: true));
            }
        }

        var tail = await ReadAll(connection, key, snapshot?.Sequence ?? 0, cancellationToken);
        return new StockLedgerState(snapshot, tail, signal);
    }

    public async Task Append(string key, long expectedSequence, IReadOnlyList<StockMovement> movements, HoldDeadline? deadline = null,
        StockSignalChange? signal = null, CancellationToken cancellationToken = default)
    {
        var count = movements.Count;
        var sequences = new long[count];
        var kinds = new string[count];
        var quantities = new int[count];
        var references = new string[count];
        var times = new DateTime[count];
        var expiries = new DateTime?[count];
        var safetyStocks = new int?[count];
        var feedSequences = new long?[count];
        var customers = new string?[count];
        var actors = new string?[count];
        var operations = new string?[count];
        for (var i = 0; i < count; i++)
        {
            var m = movements[i];
            if (m.Sequence != expectedSequence + 1 + i)
            {
                throw new ArgumentException($"Movements must be numbered from {expectedSequence + 1} without gaps.", nameof(movements));
            }

            sequences[i] = m.Sequence;
            kinds[i] = KindName(m.Kind);
            quantities[i] = m.Quantity;
            references[i] = m.Reference;
            times[i] = m.At.UtcDateTime;
            expiries[i] = m.ExpiresAt?.UtcDateTime;
            safetyStocks[i] = m.SafetyStock;
            feedSequences[i] = m.FeedSequence;
            customers[i] = m.CustomerId;
            actors[i] = m.Actor;
            operations[i] = m.Operation;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO oms_stock_ledger (stock_key, seq, batch, kind, quantity, reference, at, expires_at, safety_stock, feed_sequence, customer_id, actor, operation)
            SELECT @key, m.seq, @batch, m.kind, m.quantity, m.reference, m.at, m.expires_at, m.safety_stock, m.feed_sequence, m.customer_id, m.actor, m.operation
            FROM unnest(@seqs, @kinds, @quantities, @references, @times, @expiries, @safety_stocks, @feed_sequences, @customers, @actors, @operations)
                AS m(seq, kind, quantity, reference, at, expires_at, safety_stock, feed_sequence, customer_id, actor, operation)
            """, connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("batch", expectedSequence + 1);
        command.Parameters.AddWithValue("seqs", sequences);
        command.Parameters.AddWithValue("kinds", kinds);
        command.Parameters.AddWithValue("quantities", quantities);
        command.Parameters.AddWithValue("references", references);
        command.Parameters.Add(new NpgsqlParameter("times", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = times });
        command.Parameters.Add(new NpgsqlParameter("expiries", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = expiries });
        command.Parameters.Add(new NpgsqlParameter("safety_stocks", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = safetyStocks });
        command.Parameters.Add(new NpgsqlParameter("feed_sequences", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = feedSequences });
        command.Parameters.Add(new NpgsqlParameter("customers", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = customers });
        command.Parameters.Add(new NpgsqlParameter("actors", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = actors });
        command.Parameters.Add(new NpgsqlParameter("operations", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = operations });
        if (deadline is { } change)
        {
            // Same round trip and same implicit transaction: the index never runs ahead of the ledger.
            command.CommandText += ";\n" + DeadlineSql;
            command.Parameters.Add(new NpgsqlParameter("due", NpgsqlDbType.TimestampTz) { Value = (object?)change.Due?.UtcDateTime ?? DBNull.Value });
        }

        if (signal is not null)
        {
            // Still one batch, so one implicit transaction: the events exist exactly when these movements do.
            command.CommandText += ";\n" + SignalSql;
            var events = signal.Events;
            command.Parameters.AddWithValue("signal_sequence", signal.State.Sequence);
            command.Parameters.AddWithValue("signal", KindName(signal.State.Signal));
            command.Parameters.Add(new NpgsqlParameter("event_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = events.Select(e => e.EventId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("event_types", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.Type).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("event_subjects", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.Subject).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("event_sequences", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = events.Select(e => e.Sequence).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("event_times", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = events.Select(e => e.Time.UtcDateTime).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("event_data", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.Data).ToArray() });
        }

        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
        {
            throw new StockLedgerConflictException(key, expectedSequence, ex);
        }
    }

    /// <summary>Upserts the row when there is a deadline, deletes it when there is none; @key and @due bound.</summary>
    private const string DeadlineSql = """
        DELETE FROM oms_hold_deadline WHERE stock_key = @key AND @due::timestamptz IS NULL;
        INSERT INTO oms_hold_deadline (stock_key, due) SELECT @key, @due WHERE @due::timestamptz IS NOT NULL
        ON CONFLICT (stock_key) DO UPDATE SET due = EXCLUDED.due
        """;

    private const string SignalSql = """
        INSERT INTO oms_outbox (event_id, type, subject, sequence, time, data)
        SELECT * FROM unnest(@event_ids, @event_types, @event_subjects, @event_sequences, @event_times, @event_data);
        INSERT INTO oms_stock_signal (stock_key, sequence, signal) VALUES (@key, @signal_sequence, @signal)
        ON CONFLICT (stock_key) DO UPDATE SET sequence = EXCLUDED.sequence, signal = EXCLUDED.signal
        """;

    public async Task SetDeadline(string key, HoldDeadline deadline, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(DeadlineSql, connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.Add(new NpgsqlParameter("due", NpgsqlDbType.TimestampTz) { Value = (object?)deadline.Due?.UtcDateTime ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> DueItems(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT stock_key FROM oms_hold_deadline WHERE due <= @before ORDER BY due LIMIT @limit", connection);
        command.Parameters.Add(new NpgsqlParameter("before", NpgsqlDbType.TimestampTz) { Value = before.UtcDateTime });
        command.Parameters.AddWithValue("limit", (long)limit);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    public async Task SaveSnapshot(string key, StockPosition position, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO oms_stock_snapshot (stock_key, seq, position, taken_at) VALUES (@key, @seq, @position::jsonb, now())
            ON CONFLICT (stock_key) DO UPDATE SET seq = EXCLUDED.seq, position = EXCLUDED.position, taken_at = EXCLUDED.taken_at
            WHERE oms_stock_snapshot.seq < EXCLUDED.seq
            """, connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("seq", position.Sequence);
        command.Parameters.AddWithValue("position", JsonSerializer.Serialize(position, JsonGrainStateSerializer.Options));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StockMovement>> Read(string key, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ReadAll(connection, key, afterSequence, cancellationToken, limit);
    }

    public async Task<IReadOnlyList<StockMovement>> ReadReference(string key, string reference, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM oms_stock_ledger WHERE reference = @reference AND stock_key = @key ORDER BY seq
            """, connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("reference", reference);
        return await ReadMovements(command, cancellationToken);
    }

    private const string Columns = "seq, kind, quantity, reference, at, expires_at, safety_stock, feed_sequence, customer_id, actor, operation";

    private static async Task<List<StockMovement>> ReadAll(
        NpgsqlConnection connection, string key, long afterSequence, CancellationToken cancellationToken, int limit = int.MaxValue)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM oms_stock_ledger WHERE stock_key = @key AND seq > @after ORDER BY seq LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("after", afterSequence);
        command.Parameters.AddWithValue("limit", (long)limit);
        return await ReadMovements(command, cancellationToken);
    }

    private static async Task<List<StockMovement>> ReadMovements(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var movements = new List<StockMovement>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            movements.Add(new StockMovement(
                reader.GetInt64(0),
                ParseKind(reader.GetString(1)),
                reader.GetInt32(2),
                reader.GetString(3),
                new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero),
                reader.IsDBNull(5) ? null : new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero),
                reader.IsDBNull(6) ? null : reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetInt64(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10)));
        }

        return movements;
    }

    // Stored by name, camel-cased like the API, so the table reads well in SQL and survives enum reordering.
    private static string KindName<T>(T kind) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(kind.ToString());

    private static MovementKind ParseKind(string name) => Enum.Parse<MovementKind>(name, ignoreCase: true);
}
