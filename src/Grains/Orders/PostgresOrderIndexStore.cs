using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Oms.Contracts.Orders;
using Oms.Grains.Persistence;

namespace Oms.Grains.Orders;

/// <summary>
/// Order search in PostgreSQL (tables from 013-order-index.sql). It answers exactly as <see cref="OrderSearch.Page"/>
/// does over the same rows: the same filters, newest (or oldest) first with the order id compared as bytes ("C", the ordinal
/// order), and the same cursors, so a client can page across a silo that keeps its index in memory and one that does not.
/// </summary>
/// <remarks>
/// Text compared regardless of case (email, name, free text) folds case as the database's locale does; for the
/// ASCII that emails and order ids are made of, that is what <see cref="StringComparison.OrdinalIgnoreCase"/> does.
/// </remarks>
public sealed class PostgresOrderIndexStore(OmsDatabase database) : IOrderIndexStore
{
    private const string Columns =
        "order_id, created_ticks, updated_at, status, channel, customer_id, email, name, location_ids, needs_attention, total, currency, units, position";

    public async Task<long> Checkpoint(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT position FROM oms_order_index_checkpoint", connection);
        return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : 0;
    }

    public async Task Apply(IReadOnlyList<OrderSummary> rows, long checkpoint, CancellationToken cancellationToken = default)
    {
        // One statement cannot upsert the same key twice, and the index keeps the first row of the newest position,
        // as OrderIndex.Upsert does when given the rows one by one.
        var newest = rows
            .Select((row, i) => (row, i))
            .GroupBy(r => r.row.OrderId, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(r => r.row.Position).ThenBy(r => r.i).First().row)
            .ToList();

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (newest.Count > 0)
        {
            // Locations travel as one JSON array per row: unnest would flatten a text[][] into one list.
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO oms_order_index (order_id, created_ticks, created_at, updated_at, status, channel, customer_id, email, email_lower,
                                             name, location_ids, needs_attention, total, currency, units, position)
                SELECT r.order_id, r.created_ticks, r.created_at, r.updated_at, r.status, r.channel, r.customer_id, r.email, lower(r.email),
                       r.name, ARRAY(SELECT jsonb_array_elements_text(r.location_ids)), r.needs_attention, r.total, r.currency, r.units, r.position
                FROM unnest(@ids, @created_ticks, @created_at, @updated_at, @statuses, @channels, @customers, @emails, @names, @locations,
                            @attention, @totals, @currencies, @units, @positions)
                    AS r(order_id, created_ticks, created_at, updated_at, status, channel, customer_id, email, name, location_ids,
                         needs_attention, total, currency, units, position)
                ON CONFLICT (order_id) DO UPDATE SET
                    created_ticks = EXCLUDED.created_ticks, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
                    status = EXCLUDED.status, channel = EXCLUDED.channel, customer_id = EXCLUDED.customer_id, email = EXCLUDED.email,
                    email_lower = EXCLUDED.email_lower, name = EXCLUDED.name, location_ids = EXCLUDED.location_ids,
                    needs_attention = EXCLUDED.needs_attention, total = EXCLUDED.total, currency = EXCLUDED.currency,
                    units = EXCLUDED.units, position = EXCLUDED.position
                WHERE oms_order_index.position < EXCLUDED.position
                """, connection, transaction);
            upsert.Parameters.Add(Array("ids", NpgsqlDbType.Text, newest.Select(r => r.OrderId)));
            upsert.Parameters.Add(Array("created_ticks", NpgsqlDbType.Bigint, newest.Select(r => r.CreatedAt.UtcTicks)));
            upsert.Parameters.Add(Array("created_at", NpgsqlDbType.TimestampTz, newest.Select(r => r.CreatedAt.UtcDateTime)));
            upsert.Parameters.Add(Array("updated_at", NpgsqlDbType.TimestampTz, newest.Select(r => r.UpdatedAt.UtcDateTime)));
            upsert.Parameters.Add(Array("statuses", NpgsqlDbType.Text, newest.Select(r => Name(r.Status))));
            upsert.Parameters.Add(Array("channels", NpgsqlDbType.Text, newest.Select(r => Name(r.Channel))));
            upsert.Parameters.Add(Array("customers", NpgsqlDbType.Text, newest.Select(r => r.CustomerId)));
            upsert.Parameters.Add(Array("emails", NpgsqlDbType.Text, newest.Select(r => r.Email)));
            upsert.Parameters.Add(Array("names", NpgsqlDbType.Text, newest.Select(r => r.Name)));
            upsert.Parameters.Add(Array("locations", NpgsqlDbType.Jsonb, newest.Select(r => JsonSerializer.Serialize(r.LocationIds))));
            upsert.Parameters.Add(Array("attention", NpgsqlDbType.Text, newest.Select(r => r.NeedsAttention)));
            upsert.Parameters.Add(Array("totals", NpgsqlDbType.Numeric, newest.Select(r => r.Total)));
            upsert.Parameters.Add(Array("currencies", NpgsqlDbType.Text, newest.Select(r => r.Currency)));
            upsert.Parameters.Add(Array("units", NpgsqlDbType.Integer, newest.Select(r => r.Units)));
            upsert.Parameters.Add(Array("positions", NpgsqlDbType.Bigint, newest.Select(r => r.Position)));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var move = new NpgsqlCommand("""
            INSERT INTO oms_order_index_checkpoint (id, position, updated_at) VALUES (true, @checkpoint, now())
            ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at
            """, connection, transaction))
        {
            move.Parameters.AddWithValue("checkpoint", checkpoint);
            await move.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<OrderSearchPage> Search(OrderQuery query, CancellationToken cancellationToken = default)
    {
        // Refused before any connection, with the very exceptions OrderSearch.Page throws.
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, OrderSearch.MaxLimit);
        var after = OrderSearch.ReadCursor(query);
        var oldest = query.Sort == OrderSort.Oldest;

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand { Connection = connection };
        // Only fixed SQL text is appended; every value the client gave is a parameter.
        var where = new List<string>();
        void Filter(string condition, params (string Name, NpgsqlDbType Type, object Value)[] parameters)
        {
            where.Add(condition);
            foreach (var (name, type, value) in parameters)
            {
                command.Parameters.Add(new NpgsqlParameter(name, type) { Value = value });
            }
        }

        if (query.Channels is { } channels)
        {
            Filter("channel = ANY(@scope_channels)", ("scope_channels", NpgsqlDbType.Array | NpgsqlDbType.Text, channels.Select(Name).ToArray()));
        }

        if (query.Locations is { } locations)
        {
            Filter("location_ids && @scope_locations", ("scope_locations", NpgsqlDbType.Array | NpgsqlDbType.Text, locations.ToArray()));
        }

        if (query.Email is { } email)
        {
            Filter("email_lower = lower(@email)", ("email", NpgsqlDbType.Text, email));
        }

        if (query.CustomerId is { } customer)
        {
            Filter("customer_id = @customer", ("customer", NpgsqlDbType.Text, customer));
        }

        if (query.Name is { } name)
        {
            Filter(@"name ILIKE @name ESCAPE '\'", ("name", NpgsqlDbType.Text, ContainsPattern(name)));
        }

        if (query.Status is { } status)
        {
            Filter("status = @status", ("status", NpgsqlDbType.Text, Name(status)));
        }

        if (query.Channel is { } channel)
        {
            Filter("channel = @channel", ("channel", NpgsqlDbType.Text, Name(channel)));
        }

        if (query.LocationId is { } location)
        {
            // Containment rather than "= ANY(location_ids)": the GIN index serves @>, not ANY.
            Filter("location_ids @> ARRAY[@location]::text[]", ("location", NpgsqlDbType.Text, location));
        }

        if (query.NeedsAttention is { } attention)
        {
            Filter(attention ? "needs_attention IS NOT NULL" : "needs_attention IS NULL");
        }

        // On ticks, not created_at: a DateTimeOffset compares to the tick, timestamptz to the microsecond.
        if (query.CreatedFrom is { } from)
        {
            Filter("created_ticks >= @from", ("from", NpgsqlDbType.Bigint, from.UtcTicks));
        }

        if (query.CreatedTo is { } to)
        {
            Filter("created_ticks < @to", ("to", NpgsqlDbType.Bigint, to.UtcTicks));
        }

        if (query.Q is { } q)
        {
            Filter(@"(order_id ILIKE @q ESCAPE '\' OR email ILIKE @q ESCAPE '\' OR name ILIKE @q ESCAPE '\')", ("q", NpgsqlDbType.Text, ContainsPattern(q)));
        }

        if (after is { } cursor)
        {
            // A row comparison, so the index is entered at the cursor and read on in the page's direction.
            Filter(oldest ? @"(created_ticks, order_id COLLATE ""C"") > (@after_ticks, @after_id)" : @"(created_ticks, order_id COLLATE ""C"") < (@after_ticks, @after_id)",
                ("after_ticks", NpgsqlDbType.Bigint, cursor.CreatedTicks), ("after_id", NpgsqlDbType.Text, cursor.OrderId));
        }

        var sql = new StringBuilder($"SELECT {Columns} FROM oms_order_index");
        if (where.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", where);
        }

        // One row more than the page says whether another page follows, without counting.
        // Oldest first reads the same indexes backwards, so no index is kept per direction.
        sql.Append(oldest ? @" ORDER BY created_ticks, order_id COLLATE ""C"" LIMIT @limit" : @" ORDER BY created_ticks DESC, order_id COLLATE ""C"" DESC LIMIT @limit");
        command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Integer) { Value = query.Limit + 1 });
        command.CommandText = sql.ToString();

        var items = new List<OrderSummary>(query.Limit + 1);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(Read(reader));
            }
        }

        if (items.Count <= query.Limit)
        {
            return new OrderSearchPage(items, null);
        }

        items.RemoveAt(items.Count - 1);
        return new OrderSearchPage(items, OrderSearch.Cursor(items[^1], query.Sort));
    }

    public async Task Reset(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // One batch runs in one implicit transaction: the rows and the checkpoint go together, or neither does.
        await using var command = new NpgsqlCommand("""
            DELETE FROM oms_order_index;
            DELETE FROM oms_order_index_checkpoint
            """, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static OrderSummary Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
        new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero),
        Enum.Parse<OrderStatus>(reader.GetString(3), ignoreCase: true),
        Enum.Parse<OrderChannel>(reader.GetString(4), ignoreCase: true),
        reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.GetFieldValue<string[]>(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.GetDecimal(10),
        reader.GetString(11),
        reader.GetInt32(12),
        reader.GetInt64(13));

    /// <summary>A contains pattern that matches the text literally: %, _ and the escape itself lose their meaning.</summary>
    private static string ContainsPattern(string text) =>
        "%" + text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";

    private static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    private static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.ToArray() };
}
