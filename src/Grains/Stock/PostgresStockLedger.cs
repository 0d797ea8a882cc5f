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
/// <remarks>
/// Each stock item already shares one append among the commands that arrived while its last one was in flight;
/// the silo's items share the round trip too. Appends that wait while one is in flight go together, one implicit
/// transaction of each item's own statements, so a spread of holds over many items costs about what a hot item's
/// do: one commit for many. Each item's append is still all or none; a batch the server refuses (an item's stale
/// sequence) is halved until the refused append is alone, so only that item hears the conflict.
/// </remarks>
public sealed class PostgresStockLedger : IStockLedger
{
    private const string UniqueViolation = "23505";

    /// <summary>Movements per shared round trip, so one burst does not become one huge statement.</summary>
    private const int MaxSharedMovements = 4_096;

    private readonly OmsDatabase _database;
    private readonly GroupCommit<PendingAppend> _appends;

    public PostgresStockLedger(OmsDatabase database)
    {
        _database = database;
        _appends = new GroupCommit<PendingAppend>(batch => SharedStatement.Run(batch, AppendAll), MaxSharedMovements, a => a.Rows.Length);
    }

    public async Task<StockLedgerState> Load(string key, CancellationToken cancellationToken = default)
    {
        // One round trip. Each statement sees the database as it starts, so the tail is read first, from the
        // snapshot it finds; the snapshot read after it is that one or a newer one, and the tail's movements that
        // the newer one already counts are skipped. Read the other way round, a snapshot saved between the two
        // reads would leave a gap.
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"""
                    SELECT {Columns} FROM oms_stock_ledger
                    WHERE stock_key = $1 AND seq > COALESCE((SELECT seq FROM oms_stock_snapshot WHERE stock_key = $1), 0) ORDER BY seq
                    """) { Parameters = { new() { Value = key } } },
                new NpgsqlBatchCommand("SELECT position FROM oms_stock_snapshot WHERE stock_key = $1") { Parameters = { new() { Value = key } } },
                new NpgsqlBatchCommand("SELECT sequence, signal FROM oms_stock_signal WHERE stock_key = $1") { Parameters = { new() { Value = key } } },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var tail = await ReadMovements(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        StockPosition? snapshot = null;
        if (await reader.ReadAsync(cancellationToken))
        {
            snapshot = JsonSerializer.Deserialize<StockPosition>(reader.GetString(0), JsonGrainStateSerializer.Options);
        }

        await reader.NextResultAsync(cancellationToken);
        StockSignalState? signal = null;
        if (await reader.ReadAsync(cancellationToken))
        {
            signal = new StockSignalState(reader.GetInt64(0), Enum.Parse<StockSignal>(reader.GetString(1), ignoreCase: true));
        }

        var after = snapshot?.Sequence ?? 0;
        return new StockLedgerState(snapshot, tail.Count > 0 && tail[0].Sequence <= after ? [.. tail.Where(m => m.Sequence > after)] : tail, signal);
    }

    public async Task Append(string key, long expectedSequence, IReadOnlyList<StockMovement> movements, HoldDeadline? deadline = null,
        StockSignalChange? signal = null, CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < movements.Count; i++)
        {
            if (movements[i].Sequence != expectedSequence + 1 + i)
            {
                throw new ArgumentException($"Movements must be numbered from {expectedSequence + 1} without gaps.", nameof(movements));
            }
        }

        // Copied now, in the item's turn: the shared round trip goes out later, and once it holds other items'
        // appends it is not cancelled for one caller; a caller that gave up before it was queued is not queued.
        cancellationToken.ThrowIfCancellationRequested();
        var append = new PendingAppend(key, expectedSequence, [.. movements], deadline, signal);
        await _appends.Submit(append);
        if (append.Failure is { } failure)
        {
            if (failure.SourceException is PostgresException { SqlState: UniqueViolation } conflict)
            {
                throw new StockLedgerConflictException(key, expectedSequence, conflict);
            }

            failure.Throw();
        }
    }

    /// <summary>
    /// One implicit transaction for every item's append in the batch, in key order, so two silos' batches that
    /// briefly share an item (a duplicate activation being resolved) take its row locks in the same order.
    /// </summary>
    private async Task AppendAll(IReadOnlyList<PendingAppend> appends)
    {
        await using var connection = await _database.OpenAsync();
        await using var batch = new NpgsqlBatch(connection);
        foreach (var append in appends.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            AddAppend(batch, append);
        }

        await batch.ExecuteNonQueryAsync();
    }

    private static void AddAppend(NpgsqlBatch batch, PendingAppend append)
    {
        var rows = append.Rows;
        var count = rows.Length;
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
            var m = rows[i];
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

        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            INSERT INTO oms_stock_ledger (stock_key, seq, batch, kind, quantity, reference, at, expires_at, safety_stock, feed_sequence, customer_id, actor, operation)
            SELECT $1, m.seq, $2, m.kind, m.quantity, m.reference, m.at, m.expires_at, m.safety_stock, m.feed_sequence, m.customer_id, m.actor, m.operation
            FROM unnest($3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                AS m(seq, kind, quantity, reference, at, expires_at, safety_stock, feed_sequence, customer_id, actor, operation)
            """)
        {
            Parameters =
            {
                new() { Value = append.Key },
                new() { Value = append.ExpectedSequence + 1 },
                new() { Value = sequences },
                new() { Value = kinds },
                new() { Value = quantities },
                new() { Value = references },
                new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, Value = times },
                new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, Value = expiries },
                new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, Value = safetyStocks },
                new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = feedSequences },
                new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = customers },
                new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = actors },
                new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = operations },
            },
        });

        if (append.Deadline is { } deadline)
        {
            // Same transaction: the sweep's index never runs ahead of the ledger.
            AddDeadline(batch, append.Key, deadline);
        }

        if (append.Signal is { } signal)
        {
            // Same transaction: the events exist exactly when these movements do.
            var events = signal.Events;
            batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                INSERT INTO oms_outbox (event_id, type, subject, sequence, time, data)
                SELECT * FROM unnest($1, $2, $3, $4, $5, $6)
                """)
            {
                Parameters =
                {
                    new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = events.Select(e => e.EventId).ToArray() },
                    new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = events.Select(e => e.Type).ToArray() },
                    new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = events.Select(e => e.Subject).ToArray() },
                    new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = events.Select(e => e.Sequence).ToArray() },
                    new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, Value = events.Select(e => e.Time.UtcDateTime).ToArray() },
                    new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = events.Select(e => e.Data).ToArray() },
                },
            });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                INSERT INTO oms_stock_signal (stock_key, sequence, signal) VALUES ($1, $2, $3)
                ON CONFLICT (stock_key) DO UPDATE SET sequence = EXCLUDED.sequence, signal = EXCLUDED.signal
                """)
            {
                Parameters = { new() { Value = append.Key }, new() { Value = signal.State.Sequence }, new() { Value = KindName(signal.State.Signal) } },
            });
        }
    }

    /// <summary>Upserts the row when there is a deadline, deletes it when there is none.</summary>
    private static void AddDeadline(NpgsqlBatch batch, string key, HoldDeadline deadline)
    {
        if (deadline.Due is { } due)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                INSERT INTO oms_hold_deadline (stock_key, due) VALUES ($1, $2)
                ON CONFLICT (stock_key) DO UPDATE SET due = EXCLUDED.due
                """)
            {
                Parameters = { new() { Value = key }, new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = due.UtcDateTime } },
            });
        }
        else
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM oms_hold_deadline WHERE stock_key = $1") { Parameters = { new() { Value = key } } });
        }
    }

    public async Task SetDeadline(string key, HoldDeadline deadline, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        AddDeadline(batch, key, deadline);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> DueItems(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
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
        await using var connection = await _database.OpenAsync(cancellationToken);
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
        await using var connection = await _database.OpenAsync(cancellationToken);
        return await ReadAll(connection, key, afterSequence, cancellationToken, limit);
    }

    public async Task<IReadOnlyList<StockMovement>> ReadReference(string key, string reference, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM oms_stock_ledger WHERE reference = @reference AND stock_key = @key ORDER BY seq
            """, connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("reference", reference);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadMovements(reader, cancellationToken);
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
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadMovements(reader, cancellationToken);
    }

    private static async Task<List<StockMovement>> ReadMovements(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var movements = new List<StockMovement>();
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

/// <summary>One item's append, waiting for the silo's next shared round trip.</summary>
internal sealed class PendingAppend(string key, long expectedSequence, StockMovement[] rows, HoldDeadline? deadline, StockSignalChange? signal)
    : SharedStatement
{
    public string Key { get; } = key;

    public long ExpectedSequence { get; } = expectedSequence;

    public StockMovement[] Rows { get; } = rows;

    public HoldDeadline? Deadline { get; } = deadline;

    public StockSignalChange? Signal { get; } = signal;
}
