using System.Buffers.Text;
using System.Text;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Grains.Fulfilments;

namespace Oms.Tests.Fulfilment;

/// <summary>The work queue's rules without Orleans: which Put wins, the order of the list, and its pages.</summary>
public sealed class FulfilmentQueueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    public static FulfilmentTask Entry(string orderId, string fulfilmentId, int minute = 0,
        FulfilmentStatus status = FulfilmentStatus.Requested, FulfilmentMode mode = FulfilmentMode.Ship) =>
        new(orderId, fulfilmentId, mode, status, [new FulfilmentTaskLine("1", "SKU-" + fulfilmentId, 1)],
            T0.AddMinutes(minute), T0.AddMinutes(minute + 30), null, "Ada L.", false);

    private static string Ids(FulfilmentTaskPage page) => string.Join(" ", page.Items.Select(t => $"{t.OrderId}/{t.FulfilmentId}"));

    private static string Everything(FulfilmentQueue queue) => Ids(queue.List(null, FulfilmentQueue.MaxLimit, null));

    /// <summary>Puts of one order, in arrival order: version and fulfilment ids ("" for none).</summary>
    public static TheoryData<string, string, string> Puts() => new()
    {
        // puts                         changed (one per put)    left in the queue
        { "1:F1",                       "y",                     "O/F1" },
        { "1:F1 2:F1,F2",               "y y",                   "O/F1 O/F2" },
        { "2:F1,F2 1:F1",               "y n",                   "O/F1 O/F2" },
        { "1:F1 1:F2",                  "y n",                   "O/F1" },
        { "1:F1,F2 2:F2",               "y y",                   "O/F2" },
        { "1:F1 2:",                    "y y",                   "" },
        { "1:F1 3: 2:F1",               "y y n",                 "" },
        { "3: 2:F1",                    "y n",                   "" },
        { "1:F1 2: 3:F3",               "y y y",                 "O/F3" },
        { "5:F1 5:",                    "y n",                   "O/F1" },
        { "-1:F1 0:F2",                 "y y",                   "O/F2" },
    };

    [Theory]
    [MemberData(nameof(Puts))]
    public void Only_a_newer_version_replaces_the_orders_tasks(string puts, string changed, string left)
    {
        var queue = new FulfilmentQueue(new FulfilmentQueueState());
        var answers = new List<string>();
        foreach (var put in puts.Split(' '))
        {
            var (version, ids) = (long.Parse(put.Split(':')[0]), put.Split(':')[1]);
            var tasks = ids.Length == 0 ? [] : ids.Split(',').Select(id => Entry("O", id)).ToList();
            answers.Add(queue.Put("O", version, tasks) ? "y" : "n");
        }

        Assert.Equal(changed, string.Join(" ", answers));
        Assert.Equal(left, Everything(queue));
    }

    [Fact]
    public void Orders_do_not_touch_each_others_tasks()
    {
        var queue = new FulfilmentQueue(new FulfilmentQueueState());
        queue.Put("A", 5, [Entry("A", "F1", 1)]);
        queue.Put("B", 1, [Entry("B", "F1", 2)]);
        Assert.True(queue.Put("B", 2, []));
        Assert.Equal("A/F1", Everything(queue));
        // A version is per order: B's 2 says nothing about A.
        Assert.True(queue.Put("A", 6, [Entry("A", "F2", 0)]));
        Assert.Equal("A/F2", Everything(queue));
    }

    [Fact]
    public void The_list_is_oldest_request_first_then_order_then_fulfilment_ordinally()
    {
        var queue = new FulfilmentQueue(new FulfilmentQueueState());
        queue.Put("b", 1, [Entry("b", "F2", 5), Entry("b", "F10", 5)]);
        queue.Put("B", 1, [Entry("B", "F1", 5)]);
        queue.Put("a", 1, [Entry("a", "F9", 7), Entry("a", "F1", 1)]);
        // The same instant in another offset is the same instant.
        queue.Put("c", 1, [Entry("c", "F1", 0) with { RequestedAt = T0.AddMinutes(5).ToOffset(TimeSpan.FromHours(9)) }]);

        Assert.Equal("a/F1 B/F1 b/F10 b/F2 c/F1 a/F9", Everything(queue));
    }

    [Theory]
    [InlineData(null, 1, "O1/F1|O1/F2|O1/F3|O1/F4|O1/F5|O2/F1|O2/F2")]
    [InlineData(null, 3, "O1/F1 O1/F2 O1/F3|O1/F4 O1/F5 O2/F1|O2/F2")]
    [InlineData(null, 7, "O1/F1 O1/F2 O1/F3 O1/F4 O1/F5 O2/F1 O2/F2")]
    [InlineData(null, 200, "O1/F1 O1/F2 O1/F3 O1/F4 O1/F5 O2/F1 O2/F2")]
    [InlineData(FulfilmentStatus.Accepted, 1, "O1/F2|O1/F4|O2/F2")]
    [InlineData(FulfilmentStatus.Accepted, 2, "O1/F2 O1/F4|O2/F2")]
    [InlineData(FulfilmentStatus.Accepted, 3, "O1/F2 O1/F4 O2/F2")]
    [InlineData(FulfilmentStatus.ReadyForPickup, 2, "")]
    public void Pages_follow_each_other_by_cursor_and_the_last_has_no_next(FulfilmentStatus? status, int limit, string pages)
    {
        var queue = new FulfilmentQueue(new FulfilmentQueueState());
        queue.Put("O1", 1, [.. Enumerable.Range(1, 5).Select(i => Entry("O1", $"F{i}", i, i % 2 == 0 ? FulfilmentStatus.Accepted : FulfilmentStatus.Requested))]);
        queue.Put("O2", 1, [Entry("O2", "F1", 10), Entry("O2", "F2", 11, FulfilmentStatus.Accepted)]);

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = queue.List(status, limit, cursor);
            Assert.True(page.Items.Count <= limit);
            Assert.All(page.Items, t => Assert.True(status is null || t.Status == status));
            seen.Add(Ids(page));
            cursor = page.Next;
            Assert.True(seen.Count <= 10, "the pages never end");
        }
        while (cursor is not null);

        Assert.Equal(pages, string.Join("|", seen));
    }

    [Fact]
    public void A_cursor_still_leads_on_after_its_entry_left_the_queue_and_new_older_ones_arrived()
    {
        var queue = new FulfilmentQueue(new FulfilmentQueueState());
        queue.Put("O1", 1, [Entry("O1", "F1", 1), Entry("O1", "F2", 2)]);
        queue.Put("O2", 1, [Entry("O2", "F1", 3)]);
        var first = queue.List(null, 2, null);
        Assert.Equal("O1/F1 O1/F2", Ids(first));

        queue.Put("O1", 2, []);
        queue.Put("O0", 1, [Entry("O0", "F1", 0)]);
        var second = queue.List(null, 2, first.Next);
        Assert.Equal("O2/F1", Ids(second));
        Assert.Null(second.Next);
    }

    [Fact]
    public void Cursors_round_trip_ids_with_any_characters()
    {
        foreach (var key in new QueueCursor[] { new(0, "O", "F"), new(DateTimeOffset.MaxValue.UtcTicks, "ORD:1:2", "F:1"), new(42, "é日本", "😀"),
            new(7, string.Concat(Enumerable.Repeat("😀", FulfilmentQueue.MaxIdLength / 2)), string.Concat(Enumerable.Repeat("日", FulfilmentQueue.MaxIdLength))) })
        {
            var cursor = FulfilmentQueue.WriteCursor(key);
            Assert.True(Base64Url.IsValid(cursor.AsSpan()) && cursor.Length <= FulfilmentQueue.MaxCursorLength, cursor);
            Assert.True(FulfilmentQueue.TryReadCursor(cursor, out var read));
            Assert.Equal(key, read);
        }
    }

    public static TheoryData<string> BadCursors()
    {
        static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));
        return new()
        {
            "",
            "not base64!",
            "AAAA====",
            "%",
            new string('A', FulfilmentQueue.MaxCursorLength + 4),
            Encode("hello"),
            Encode("2:0:1:OF"),
            Encode("1:x:1:OF"),
            Encode("1:-5:1:OF"),
            Encode("1:99999999999999999999:1:OF"),
            Encode($"1:{DateTimeOffset.MaxValue.UtcTicks + 1}:1:OF"),
            Encode("1:0:0:OF"),
            Encode("1:0:2:OF"),
            Encode("1:0:5:OF"),
            Encode("1:0:-1:OF"),
            Encode("1:0:1:O\nF"),
            Encode("1:0:1"),
            Base64Url.EncodeToString([0x31, 0x3a, 0xff, 0xfe]),
        };
    }

    [Theory]
    [MemberData(nameof(BadCursors))]
    public void A_cursor_the_queue_did_not_write_is_refused_without_throwing(string cursor)
    {
        Assert.False(FulfilmentQueue.TryReadCursor(cursor, out _));
        var queue = new FulfilmentQueue(new FulfilmentQueueState());
        Assert.Throws<ArgumentException>(() => queue.List(null, 10, cursor));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(201)]
    public void A_limit_outside_1_to_200_is_refused(int limit) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FulfilmentQueue(new FulfilmentQueueState()).List(null, limit, null));

    [Fact]
    public void A_put_that_breaks_the_contract_is_refused_and_changes_nothing()
    {
        var queue = new FulfilmentQueue(new FulfilmentQueueState());
        queue.Put("O", 1, [Entry("O", "F1")]);
        Assert.Throws<ArgumentException>(() => queue.Put("O", 2, [Entry("X", "F1")]));
        Assert.Throws<ArgumentException>(() => queue.Put("O", 2, [Entry("O", "F1"), Entry("O", "F1", 3)]));
        Assert.Throws<ArgumentException>(() => queue.Put("O", 2, [Entry("O", new string('F', FulfilmentQueue.MaxIdLength + 1))]));
        Assert.Throws<ArgumentException>(() => queue.Put("O", 2, [Entry("O", "F\r\n1")]));
        Assert.Throws<ArgumentException>(() => queue.Put("", 2, []));
        Assert.Throws<ArgumentException>(() => queue.Put("O", 2, [.. Enumerable.Range(0, FulfilmentQueue.MaxTasksPerOrder + 1).Select(i => Entry("O", $"F{i}"))]));
        Assert.Equal("O/F1", Everything(queue));
        Assert.True(queue.Put("O", 2, [Entry("O", "F2")]));
    }

    [Fact]
    public void Versions_of_emptied_orders_are_forgotten_oldest_first_beyond_the_limit()
    {
        var state = new FulfilmentQueueState();
        var queue = new FulfilmentQueue(state, maxRememberedEmpty: 3);
        queue.Put("OPEN", 1, [Entry("OPEN", "F1")]);
        foreach (var order in new[] { "E1", "E2", "E3", "E4", "E5" })
        {
            queue.Put(order, 1, [Entry(order, "F1")]);
        }

        // Emptied in another order than created: the age is when an order last changed.
        foreach (var order in new[] { "E3", "E1", "E5", "E2", "E4" })
        {
            queue.Put(order, 2, []);
        }

        Assert.Equal(["E2", "E4", "E5", "OPEN"], state.Orders.Keys.Order(StringComparer.Ordinal));
        // A remembered one still refuses a late older Put; a forgotten one cannot tell it apart from a new order.
        Assert.False(queue.Put("E5", 1, [Entry("E5", "F1")]));
        Assert.True(queue.Put("E3", 1, [Entry("E3", "F1")]));
        Assert.Equal("E3/F1 OPEN/F1", Everything(queue));
    }

    [Fact]
    public void The_state_reloaded_from_storage_is_the_same_queue()
    {
        var state = new FulfilmentQueueState();
        var queue = new FulfilmentQueue(state);
        queue.Put("O1", 3, [Entry("O1", "F1", 2), Entry("O1", "F2", 1, FulfilmentStatus.Packed, FulfilmentMode.Transfer)]);
        queue.Put("O2", 4, []);

        var json = System.Text.Json.JsonSerializer.Serialize(state, Oms.Grains.Hosting.JsonGrainStateSerializer.Options);
        var reloaded = new FulfilmentQueue(System.Text.Json.JsonSerializer.Deserialize<FulfilmentQueueState>(json, Oms.Grains.Hosting.JsonGrainStateSerializer.Options)!);

        Assert.Equal(Everything(queue), Everything(reloaded));
        Assert.Equal(queue.List(null, 200, null).Items[0].Lines, reloaded.List(null, 200, null).Items[0].Lines);
        Assert.False(reloaded.Put("O2", 3, [Entry("O2", "F1")]));
        Assert.False(reloaded.Put("O1", 3, []));
    }
}
