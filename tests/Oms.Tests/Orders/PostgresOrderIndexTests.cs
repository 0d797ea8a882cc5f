using Npgsql;
using Oms.Contracts.Orders;
using Oms.Grains.Orders;
using Oms.Grains.Persistence;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Orders.OrderSearchTests;

namespace Oms.Tests.Orders;

/// <summary>
/// Order search in PostgreSQL held to the pure rules: every answer is compared with <see cref="OrderSearch.Page"/> over
/// the same rows, so the table, its SQL and the in-memory index cannot drift apart.
/// </summary>
[Collection("postgres")]
public sealed class PostgresOrderIndexTests(PostgresFixture postgres)
{
    [Theory]
    [MemberData(nameof(OrderSearchTests.Filters), MemberType = typeof(OrderSearchTests))]
    public async Task Every_filter_answers_as_the_pure_rules_do(string what, OrderQuery query, string[] expected)
    {
        var store = await Store("oms_order_index_filters");
        await store.Apply(Rows, 4);

        var page = await store.Search(query);

        Assert.True(expected.SequenceEqual(page.Items.Select(r => r.OrderId)), $"{what}: got {string.Join(", ", page.Items.Select(r => r.OrderId))}");
        AssertSame(OrderSearch.Page(Rows, query), page);
    }

    [Theory]
    [InlineData(OrderSort.Newest)]
    [InlineData(OrderSort.Oldest)]
    public async Task Pages_follow_one_another_as_the_pure_ones_do_even_at_the_same_instant(OrderSort sort)
    {
        // Ids whose ordinal order differs from a locale's ("a" after "B", "_" after "-"), five to an instant.
        var ids = Enumerable.Range(0, 23).Select(i => $"ORD-{i:00}").Concat(["ord-a", "ORD-B", "ORD_1", "Ord-1", "ORD-1"]).ToList();
        var rows = ids.Select((id, i) => Row(id, minutes: i / 5)).ToList();
        var store = await Store($"oms_order_index_pages_{sort.ToString().ToLowerInvariant()}");
        await store.Apply(rows, 1);

        string? cursor = null;
        var pages = 0;
        do
        {
            var query = new OrderQuery(4, cursor, Sort: sort);
            var expected = OrderSearch.Page(rows, query);
            var page = await store.Search(query);
            AssertSame(expected, page);
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal((rows.Count + 3) / 4, pages);
    }

    [Fact]
    public async Task Order_ids_sort_as_bytes_even_where_the_database_s_locale_sorts_them_otherwise()
    {
        // Production databases are rarely created with the C locale the test server uses; under en-US "ORD-B" sorts
        // after "ord-a", ordinally before it. A database of its own, dropped at the end, since the fixture's are C.
        var database = $"oms_order_index_icu_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(postgres.Server.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand(
                $"CREATE DATABASE {database} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(postgres.Server.ConnectionString) { Database = database, Pooling = false }.ConnectionString;
        try
        {
            await Grains.Hosting.SchemaInstaller.ApplyAsync(connectionString);
            var store = new PostgresOrderIndexStore(new OmsDatabase(connectionString));
            var rows = new[] { "ord-a", "ORD-B", "Ord-c", "ORD_1", "ORD-1", "ORD1" }.Select(id => Row(id)).ToList();
            await store.Apply(rows, 1);

            for (string? cursor = null; ;)
            {
                var query = new OrderQuery(2, cursor);
                var page = await store.Search(query);
                AssertSame(OrderSearch.Page(rows, query), page);
                if ((cursor = page.Next) is null)
                {
                    break;
                }
            }
        }
        finally
        {
            await using var admin = new NpgsqlConnection(postgres.Server.ConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task Instants_and_windows_are_exact_to_the_tick_though_the_database_keeps_microseconds()
    {
        // Three orders within one microsecond: only the ticks tell them apart.
        var rows = Enumerable.Range(1, 3).Select(i => Row($"ORD-{i}") with { CreatedAt = T0.AddTicks(4 - i), UpdatedAt = T0 }).ToList();
        var store = await Store("oms_order_index_ticks");
        await store.Apply(rows, 1);

        foreach (var query in new[]
        {
            new OrderQuery(10),
            new OrderQuery(1),
            new OrderQuery(1, OrderSearch.Cursor(rows[0])),
            new OrderQuery(10, CreatedFrom: T0.AddTicks(2)),
            new OrderQuery(10, CreatedTo: T0.AddTicks(2)),
            new OrderQuery(10, Sort: OrderSort.Oldest),
            new OrderQuery(1, OrderSearch.Cursor(rows[1], OrderSort.Oldest), Sort: OrderSort.Oldest),
        })
        {
            AssertSame(OrderSearch.Page(rows, query), await store.Search(query));
        }
    }

    [Fact]
    public async Task Each_order_keeps_its_newest_row_whatever_order_the_feed_is_read_in()
    {
        var store = await Store("oms_order_index_newest");
        await store.Apply([Row("ORD-1", status: OrderStatus.Shipped, position: 7)], 7);
        await store.Apply([Row("ORD-1", status: OrderStatus.Allocated, position: 3)], 8);
        await store.Apply([Row("ORD-1", status: OrderStatus.Allocated, position: 7)], 9);
        Assert.Equal(OrderStatus.Shipped, Assert.Single((await store.Search(new OrderQuery(10))).Items).Status);

        await store.Apply([Row("ORD-1", status: OrderStatus.Completed, position: 9)], 10);
        Assert.Equal(OrderStatus.Completed, Assert.Single((await store.Search(new OrderQuery(10))).Items).Status);

        // One batch naming an order more than once keeps what the in-memory index keeps, row by row.
        var batch = new[]
        {
            Row("ORD-2", status: OrderStatus.Allocated, position: 11),
            Row("ORD-2", status: OrderStatus.Shipped, position: 13),
            Row("ORD-2", status: OrderStatus.Cancelled, position: 13),
            Row("ORD-2", status: OrderStatus.Pending, position: 12),
        };
        await store.Apply(batch, 13);
        var memory = new OrderIndex();
        foreach (var row in batch)
        {
            memory.Upsert(row);
        }

        AssertSame(memory.Search(new OrderQuery(10, CustomerId: "C-ORD-2")), await store.Search(new OrderQuery(10, CustomerId: "C-ORD-2")));
    }

    [Fact]
    public async Task The_checkpoint_moves_with_the_rows_or_not_at_all()
    {
        var store = await Store("oms_order_index_checkpoint");
        Assert.Equal(0, await store.Checkpoint());

        await store.Apply(Rows, 40);
        Assert.Equal(40, await store.Checkpoint());

        // A stretch of the feed with no order event still moves it.
        await store.Apply([], 45);
        Assert.Equal(45, await store.Checkpoint());

        // A batch the database refuses (no currency breaks NOT NULL) leaves the rows and the checkpoint as they were.
        var broken = new[] { Row("ORD-5", position: 46), Row("ORD-6", position: 47) with { Currency = null! } };
        await Assert.ThrowsAsync<PostgresException>(() => store.Apply(broken, 47));
        Assert.Equal(45, await store.Checkpoint());
        AssertSame(OrderSearch.Page(Rows, new OrderQuery(50)), await store.Search(new OrderQuery(50)));
    }

    [Fact]
    public async Task A_reset_forgets_every_row_and_the_checkpoint_so_the_feed_replays_from_the_start()
    {
        var store = await Store("oms_order_index_reset");
        await store.Apply([Row("ORD-1", status: OrderStatus.Completed, position: 90)], 90);

        await store.Reset();

        Assert.Equal(0, await store.Checkpoint());
        Assert.Empty((await store.Search(new OrderQuery(10))).Items);

        // The rebuild's positions start low again, and are not beaten by what was there before.
        await store.Apply([Row("ORD-1", status: OrderStatus.Allocated, position: 2)], 2);
        Assert.Equal(OrderStatus.Allocated, Assert.Single((await store.Search(new OrderQuery(10))).Items).Status);
        Assert.Equal(2, await store.Checkpoint());
    }

    [Theory]
    [InlineData("not-a-cursor")]
    [InlineData("")]
    [InlineData("MTo2Mzg5OTk5OTk5OTk5OTk5OTk6MTpBQg")]
    public async Task A_cursor_it_did_not_give_is_refused(string cursor)
    {
        var store = await Store("oms_order_index_bad_cursor");
        await Assert.ThrowsAsync<ArgumentException>(() => store.Search(new OrderQuery(10, cursor)));
    }

    [Theory]
    [InlineData(OrderSort.Newest, OrderSort.Oldest)]
    [InlineData(OrderSort.Oldest, OrderSort.Newest)]
    public async Task A_cursor_from_one_direction_is_refused_in_the_other(OrderSort given, OrderSort used)
    {
        var store = await Store("oms_order_index_cross_cursor");
        await store.Apply(Rows, 4);
        var next = (await store.Search(new OrderQuery(1, Sort: given))).Next;
        Assert.NotNull(next);
        await Assert.ThrowsAsync<ArgumentException>(() => store.Search(new OrderQuery(1, next, Sort: used)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(OrderSearch.MaxLimit + 1)]
    public async Task A_limit_outside_its_range_is_refused(int limit)
    {
        var store = await Store("oms_order_index_bad_limit");
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.Search(new OrderQuery(limit)));
    }

    [Fact]
    public async Task Search_text_is_matched_literally_wildcards_quotes_and_all()
    {
        var rows = new[]
        {
            Row("ORD-1", name: "100% Wool"),
            Row("ORD-2", 1, name: "1000 Wool"),
            Row("ORD-3", 2, name: "Ada_Lovelace"),
            Row("ORD-4", 3, name: "AdaXLovelace"),
            Row("ORD-5", 4, name: "Miles O'Brien", email: "o'brien@example.com"),
            Row("ORD-6", 5, name: @"Back\slash"),
            Row("ORD-7", 6, name: "Backslash"),
        };
        var store = await Store("oms_order_index_literal");
        await store.Apply(rows, 7);

        foreach (var (query, expected) in new (OrderQuery, string[])[]
        {
            (new OrderQuery(10, Name: "100%"), ["ORD-1"]),
            (new OrderQuery(10, Name: "%"), ["ORD-1"]),
            (new OrderQuery(10, Name: "a_l"), ["ORD-3"]),
            (new OrderQuery(10, Q: "_"), ["ORD-3"]),
            (new OrderQuery(10, Name: "o'b"), ["ORD-5"]),
            (new OrderQuery(10, Q: "'; DROP TABLE oms_order_index; --"), []),
            (new OrderQuery(10, Email: "O'BRIEN@example.com"), ["ORD-5"]),
            (new OrderQuery(10, Name: @"k\s"), ["ORD-6"]),
            (new OrderQuery(10, Q: @"\"), ["ORD-6"]),
        })
        {
            var page = await store.Search(query);
            Assert.True(expected.SequenceEqual(page.Items.Select(r => r.OrderId)), $"{query}: got {string.Join(", ", page.Items.Select(r => r.OrderId))}");
            AssertSame(OrderSearch.Page(rows, query), page);
        }

        // A cursor carries an order id back in; it is a parameter too.
        var forged = OrderSearch.Cursor(Row("ORD-9'); DELETE FROM oms_order_index; --", 10));
        AssertSame(OrderSearch.Page(rows, new OrderQuery(10, forged)), await store.Search(new OrderQuery(10, forged)));
        Assert.Equal(rows.Length, (await store.Search(new OrderQuery(10))).Items.Count);
    }

    private async Task<PostgresOrderIndexStore> Store(string name) =>
        new(new OmsDatabase(await postgres.CreateOmsDatabaseAsync(name)));

    /// <summary>Field by field: a record's equality would compare the location lists by reference.</summary>
    private static void AssertSame(OrderSearchPage expected, OrderSearchPage actual)
    {
        Assert.Equal(expected.Items.Select(Shape), actual.Items.Select(Shape));
        Assert.Equal(expected.Next, actual.Next);
    }

    private static string Shape(OrderSummary r) =>
        string.Join("|", r.OrderId, r.CreatedAt.UtcTicks, r.UpdatedAt.UtcTicks, r.Status, r.Channel, r.CustomerId, r.Email ?? "<null>", r.Name ?? "<null>",
            string.Join(",", r.LocationIds), r.NeedsAttention ?? "<null>", r.Total, r.Currency, r.Units, r.Position);
}
