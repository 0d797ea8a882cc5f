using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Grains.Orders;

namespace Oms.Tests.Orders;

/// <summary>Order search's rules as tables, without Orleans: the row an order projects to, filters, scopes, order and pages.</summary>
public sealed class OrderSearchTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    internal static OrderSummary Row(string id, int minutes = 0, OrderChannel channel = OrderChannel.Web, string? email = "ada@example.com",
        string? name = "Ada Lovelace", OrderStatus status = OrderStatus.Allocated, string[]? locations = null, string? attention = null, long position = 1) =>
        new(id, T0.AddMinutes(minutes), T0.AddMinutes(minutes), status, channel, $"C-{id}", email, name, locations ?? ["WH-1"], attention, 100m, "EUR", 1, position);

    internal static readonly OrderSummary[] Rows =
    [
        Row("ORD-1", 0),
        Row("ORD-2", 1, OrderChannel.App, email: "grace@example.com", name: "Grace Hopper", status: OrderStatus.Shipped),
        Row("ORD-3", 2, OrderChannel.Store, email: null, name: "Walk-in", locations: ["BQ-PARIS"], attention: "line 1 unfulfillable"),
        Row("ORD-4", 3, email: "ADA@example.com", status: OrderStatus.Cancelled, locations: ["WH-1", "BQ-ROMA"]),
    ];

    public static TheoryData<string, OrderQuery, string[]> Filters => new()
    {
        { "everything, newest first", new OrderQuery(50), ["ORD-4", "ORD-3", "ORD-2", "ORD-1"] },
        { "an email, whatever its case", new OrderQuery(50, Email: "ada@EXAMPLE.com"), ["ORD-4", "ORD-1"] },
        { "a customer", new OrderQuery(50, CustomerId: "C-ORD-2"), ["ORD-2"] },
        { "part of a name", new OrderQuery(50, Name: "hopp"), ["ORD-2"] },
        { "a status", new OrderQuery(50, Status: OrderStatus.Cancelled), ["ORD-4"] },
        { "a channel", new OrderQuery(50, Channel: OrderChannel.Store), ["ORD-3"] },
        { "a location it touches", new OrderQuery(50, LocationId: "BQ-ROMA"), ["ORD-4"] },
        { "those needing attention", new OrderQuery(50, NeedsAttention: true), ["ORD-3"] },
        { "those not needing it", new OrderQuery(50, NeedsAttention: false), ["ORD-4", "ORD-2", "ORD-1"] },
        { "created in a window, from inclusive to exclusive", new OrderQuery(50, CreatedFrom: T0.AddMinutes(1), CreatedTo: T0.AddMinutes(3)), ["ORD-3", "ORD-2"] },
        { "free text over the order id", new OrderQuery(50, Q: "ord-3"), ["ORD-3"] },
        { "free text over the email and name", new OrderQuery(50, Q: "grace"), ["ORD-2"] },
        { "two filters at once", new OrderQuery(50, Email: "ada@example.com", Status: OrderStatus.Allocated), ["ORD-1"] },
        { "a storefront's channels only", new OrderQuery(50, Channels: [OrderChannel.Web]), ["ORD-4", "ORD-1"] },
        { "a boutique's orders only", new OrderQuery(50, Locations: ["BQ-PARIS", "BQ-ROMA"]), ["ORD-4", "ORD-3"] },
        { "a scope and a filter outside it", new OrderQuery(50, Channel: OrderChannel.App, Channels: [OrderChannel.Web]), [] },
        { "everything, oldest first", new OrderQuery(50, Sort: OrderSort.Oldest), ["ORD-1", "ORD-2", "ORD-3", "ORD-4"] },
        { "an email, oldest first", new OrderQuery(50, Email: "ada@example.com", Sort: OrderSort.Oldest), ["ORD-1", "ORD-4"] },
        { "the attention queue, oldest first", new OrderQuery(50, NeedsAttention: true, Sort: OrderSort.Oldest), ["ORD-3"] },
        { "not needing attention, oldest first", new OrderQuery(50, NeedsAttention: false, Sort: OrderSort.Oldest), ["ORD-1", "ORD-2", "ORD-4"] },
        { "a scope, oldest first", new OrderQuery(50, Channels: [OrderChannel.Web], Sort: OrderSort.Oldest), ["ORD-1", "ORD-4"] },
        { "newest first when asked", new OrderQuery(50, Sort: OrderSort.Newest), ["ORD-4", "ORD-3", "ORD-2", "ORD-1"] },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public void Every_filter_given_must_match_and_the_credential_s_scope_always_applies(string what, OrderQuery query, string[] expected)
    {
        var page = OrderSearch.Page(Rows, query);
        Assert.True(expected.SequenceEqual(page.Items.Select(r => r.OrderId)), $"{what}: got {string.Join(", ", page.Items.Select(r => r.OrderId))}");
        Assert.Null(page.Next);
    }

    [Fact]
    public void Pages_follow_one_another_without_a_gap_or_a_repeat_even_at_the_same_instant()
    {
        var rows = Enumerable.Range(0, 23).Select(i => Row($"ORD-{i:00}", minutes: i / 5)).ToList();
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = OrderSearch.Page(rows, new OrderQuery(4, cursor));
            seen.AddRange(page.Items.Select(r => r.OrderId));
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(rows.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.OrderId, StringComparer.Ordinal).Select(r => r.OrderId), seen);
    }

    [Theory]
    [InlineData(OrderSort.Newest)]
    [InlineData(OrderSort.Oldest)]
    public void Pages_in_either_direction_follow_one_another_and_oldest_is_newest_reversed(OrderSort sort)
    {
        // Five to an instant, and ids whose ordinal order differs from a culture's, so the tie-break is exact.
        var ids = Enumerable.Range(0, 23).Select(i => $"ORD-{i:00}").Concat(["ord-a", "ORD-B", "ORD_1", "Ord-1"]).ToList();
        var rows = ids.Select((id, i) => Row(id, minutes: i / 5)).ToList();
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = OrderSearch.Page(rows, new OrderQuery(4, cursor, Sort: sort));
            seen.AddRange(page.Items.Select(r => r.OrderId));
            cursor = page.Next;
        }
        while (cursor is not null);

        var newest = rows.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.OrderId, StringComparer.Ordinal).Select(r => r.OrderId).ToList();
        Assert.Equal(sort == OrderSort.Oldest ? Enumerable.Reverse(newest) : newest, seen);
    }

    [Theory]
    [InlineData(OrderSort.Newest, OrderSort.Oldest)]
    [InlineData(OrderSort.Oldest, OrderSort.Newest)]
    public void A_cursor_from_one_direction_is_refused_in_the_other(OrderSort given, OrderSort used)
    {
        var next = OrderSearch.Page(Rows, new OrderQuery(1, Sort: given)).Next;
        Assert.NotNull(next);
        Assert.True(OrderSearch.TryReadCursor(next, out var sort, out _));
        Assert.Equal(given, sort);
        Assert.True(OrderSearch.TryReadCursor(next, given, out _));
        Assert.False(OrderSearch.TryReadCursor(next, used, out _));
        Assert.Throws<ArgumentException>(() => OrderSearch.Page(Rows, new OrderQuery(1, next, Sort: used)));
    }

    [Fact]
    public void A_cursor_given_before_searches_could_be_sorted_still_pages_newest_first()
    {
        // What OrderSearch.Cursor wrote for (ORD-3) when there was one direction: a console's saved link keeps working.
        var old = Oms.Grains.Queues.WorkQueueCursor.Write(new Oms.Grains.Queues.WorkQueueKey(Rows[2].CreatedAt.UtcTicks, "ORD-3", "order"));
        Assert.Equal(old, OrderSearch.Cursor(Rows[2]));
        Assert.Equal(["ORD-2", "ORD-1"], OrderSearch.Page(Rows, new OrderQuery(10, old)).Items.Select(r => r.OrderId));
    }

    [Theory]
    [InlineData("not-a-cursor")]
    [InlineData("")]
    [InlineData("MTo2Mzg5OTk5OTk5OTk5OTk5OTk6MTpBQg")]
    public void A_cursor_it_did_not_give_is_refused(string cursor)
    {
        Assert.False(OrderSearch.TryReadCursor(cursor, out _, out _));
        Assert.Throws<ArgumentException>(() => OrderSearch.Page(Rows, new OrderQuery(10, cursor)));
    }

    [Fact]
    public void An_order_projects_every_location_it_touches_its_value_and_its_flag()
    {
        var view = new OrderView("ORD-9", OrderStatus.InFulfilment, OrderChannel.Web, new Customer("C9", "ada@example.com", "Ada"),
            new Delivery(DeliveryMethod.ClickAndCollect, null, "BQ-PARIS"),
            [new OrderLineView("1", "BAG", 2, 1200m, "EUR", LineStatus.Allocated, 2, 0, []), new OrderLineView("2", "SCARF", 1, 300m, "EUR", LineStatus.Allocated, 1, 0, [])],
            [], [], T0, null, null,
            [new FulfilmentView("F1", "WH-1", FulfilmentMode.Transfer, FulfilmentStatus.Accepted, [], [], new SourcingExplanation("", "", []), "BQ-PARIS", T0,
                null, null, null, null, null, null, [])],
            "line 2 unfulfillable");
        var row = OrderSearch.Project(view, 42, T0.AddMinutes(5));
        Assert.Equal(["BQ-PARIS", "WH-1"], row.LocationIds);
        Assert.Equal((2700m, "EUR", 3, 42L, "line 2 unfulfillable"), (row.Total, row.Currency, row.Units, row.Position, row.NeedsAttention));
    }

    [Fact]
    public void The_index_keeps_each_order_s_newest_row_whatever_order_the_feed_is_read_in()
    {
        var index = new OrderIndex();
        Assert.True(index.Upsert(Row("ORD-1", status: OrderStatus.Shipped, position: 7)));
        Assert.False(index.Upsert(Row("ORD-1", status: OrderStatus.Allocated, position: 3)));
        Assert.False(index.Upsert(Row("ORD-1", status: OrderStatus.Allocated, position: 7)));
        Assert.Equal(OrderStatus.Shipped, Assert.Single(index.Search(new OrderQuery(10)).Items).Status);
        Assert.True(index.Upsert(Row("ORD-1", status: OrderStatus.Completed, position: 9)));
        Assert.Equal(OrderStatus.Completed, index.Search(new OrderQuery(10)).Items[0].Status);
    }
}
