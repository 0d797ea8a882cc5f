using System.Text.Json;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Returns;
using Oms.Grains.Fulfilments;
using Oms.Grains.Hosting;
using Oms.Grains.Returns;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Returns;

/// <summary>A location's receiving queue without Orleans: which Put wins, oldest authorisation first, and its pages.</summary>
public sealed class ReturnQueueTests
{
    private static readonly DateTimeOffset Opening = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A return authorised <paramref name="minute"/> minutes after opening; a later one expires sooner here,
    /// so a queue sorted by expiry would fail the tables.</summary>
    public static ReturnTask Expected(string orderId, string returnId, int minute = 0, ReturnStatus status = ReturnStatus.Authorised)
    {
        var line = new ReturnLineView("1", "SKU-" + returnId, 1, ReturnReason.DoesNotFit, 49.90m, 0, 0);
        return new ReturnTask(returnId, orderId, status, ReturnMethod.ShipBack, [line],
            AuthorisedAt: Opening.AddMinutes(minute), ExpiresAt: Opening.AddDays(30).AddMinutes(-minute), CustomerName: "Ada L.");
    }

    public static string Ids(ReturnTaskPage page) => string.Join(" ", page.Items.Select(t => $"{t.OrderId}/{t.ReturnId}"));

    /// <summary>
    /// Puts separated by ';', each "order version return@minute[:p]..." (p for partially received); what each page
    /// of the listing shows, pages separated by '|'.
    /// </summary>
    public static TheoryData<string, string, ReturnStatus?, int, string> Listings() => new()
    {
        // what                                     puts                                          status                             limit  pages
        { "oldest authorisation first",             "A 1 R1@5 R2@1; B 1 R1@3",                    null,                              10,    "A/R2 B/R1 A/R1" },
        { "the same instant: order, then return",   "b 1 R2@0 R10@0; B 1 R9@0; a 1 R1@0",         null,                              10,    "B/R9 a/R1 b/R10 b/R2" },
        { "a newer version replaces the order's",   "A 1 R1@0 R2@1; A 2 R2@1",                    null,                              10,    "A/R2" },
        { "an older version changes nothing",       "A 2 R1@0; A 1 R2@1",                         null,                              10,    "A/R1" },
        { "the same version changes nothing",       "A 1 R1@0; A 1 R2@1",                         null,                              10,    "A/R1" },
        { "a late put cannot undo an emptying",     "A 1 R1@0; A 3; A 2 R1@0",                    null,                              10,    "" },
        { "orders keep their own versions",         "A 5 R1@1; B 1 R1@2; B 2",                    null,                              10,    "A/R1" },
        { "only the status asked for",              "A 1 R1@0 R2@1:p R3@2; B 1 R1@3:p",           ReturnStatus.PartiallyReceived,    10,    "A/R2 B/R1" },
        { "pages follow each other",                "A 1 R1@0 R2@1 R3@2; B 1 R1@3:p",             null,                              2,     "A/R1 A/R2|A/R3 B/R1" },
        { "pages of one status",                    "A 1 R1@0 R2@1 R3@2; B 1 R1@3:p",             ReturnStatus.Authorised,           1,     "A/R1|A/R2|A/R3" },
        { "a full last page has no next",           "A 1 R1@0 R2@1",                              null,                              2,     "A/R1 A/R2" },
        { "no return of that status",               "A 1 R1@0 R2@1:p",                            ReturnStatus.Received,             10,    "" },
    };

    [Theory]
    [MemberData(nameof(Listings))]
    public void The_queue_lists_the_newest_returns_of_each_order_oldest_authorisation_first(
        string what, string puts, ReturnStatus? status, int limit, string pages)
    {
        var queue = new ReturnQueue(new ReturnQueueState());
        foreach (var put in puts.Split(';', StringSplitOptions.TrimEntries))
        {
            var words = put.Split(' ');
            queue.Put(words[0], long.Parse(words[1]), [.. words[2..].Select(task => Parse(words[0], task))]);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = queue.List(status, limit, cursor);
            Assert.All(page.Items, t => Assert.True(status is null || t.Status == status, what));
            seen.Add(Ids(page));
            cursor = page.Next;
            Assert.True(seen.Count <= 10, $"{what}: the pages never end");
        }
        while (cursor is not null);

        Assert.Equal(pages, string.Join("|", seen));
    }

    private static ReturnTask Parse(string orderId, string task)
    {
        var (returnId, rest) = (task.Split('@')[0], task.Split('@')[1]);
        var partly = rest.EndsWith(":p", StringComparison.Ordinal);
        return Expected(orderId, returnId, int.Parse(partly ? rest[..^2] : rest), partly ? ReturnStatus.PartiallyReceived : ReturnStatus.Authorised);
    }

    public static TheoryData<string, string, ReturnTask[]> BrokenPuts() => new()
    {
        { "a return of another order", "O", [Expected("X", "R1")] },
        { "the same return twice", "O", [Expected("O", "R1"), Expected("O", "R1", 3)] },
        { "a return id too long", "O", [Expected("O", new string('R', ReturnQueue.MaxIdLength + 1))] },
        { "a return id with a line break", "O", [Expected("O", "R\n1")] },
        { "no order id", "", [] },
        { "more returns than an order may have here", "O", [.. Enumerable.Range(0, ReturnQueue.MaxTasksPerOrder + 1).Select(i => Expected("O", $"R{i}"))] },
    };

    [Theory]
    [MemberData(nameof(BrokenPuts))]
    public void A_put_that_breaks_the_contract_is_refused_and_changes_nothing(string what, string orderId, ReturnTask[] tasks)
    {
        var queue = new ReturnQueue(new ReturnQueueState());
        queue.Put("O", 1, [Expected("O", "R0")]);
        Assert.Throws<ArgumentException>(() => queue.Put(orderId, 2, tasks));
        Assert.True(Ids(queue.List(null, 10, null)) == "O/R0", what);
        Assert.True(queue.Put("O", 2, [Expected("O", "R2")]), what);
    }

    [Fact]
    public void A_cursor_of_another_queue_is_read_as_a_position_and_a_made_up_one_is_refused()
    {
        var queue = new ReturnQueue(new ReturnQueueState());
        queue.Put("A", 1, [Expected("A", "R1", 1), Expected("A", "R2", 2)]);
        // Cursors name a position, not a queue: the fulfilment queue's is the same format.
        var after = FulfilmentQueue.WriteCursor(new QueueCursor(Opening.AddMinutes(1).UtcTicks, "A", "R1"));
        Assert.Equal("A/R2", Ids(queue.List(null, 10, after)));
        Assert.Throws<ArgumentException>(() => queue.List(null, 10, "not a cursor!"));
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.List(null, ReturnQueue.MaxLimit + 1, null));
    }

    /// <summary>Every location queue stores the same document, so the fulfilment queue's rows from before still load.</summary>
    [Fact]
    public void The_stored_state_has_the_fulfilment_queues_shape_and_reloads_as_the_same_queue()
    {
        var state = new ReturnQueueState();
        var queue = new ReturnQueue(state);
        queue.Put("O1", 3, [Expected("O1", "R1", 2), Expected("O1", "R2", 1, ReturnStatus.PartiallyReceived) with { Method = ReturnMethod.DropOff }]);
        queue.Put("O2", 4, []);

        var json = JsonSerializer.Serialize(state, JsonGrainStateSerializer.Options);
        using (var document = JsonDocument.Parse(json))
        {
            Assert.Equal(["changes", "orders"], document.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal(["changedAt", "tasks", "version"],
                document.RootElement.GetProperty("orders").GetProperty("O1").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        }

        var reloaded = new ReturnQueue(JsonSerializer.Deserialize<ReturnQueueState>(json, JsonGrainStateSerializer.Options)!);
        Assert.Equal("O1/R2 O1/R1", Ids(reloaded.List(null, 10, null)));
        Assert.Equal(queue.List(null, 10, null).Items[0].Lines, reloaded.List(null, 10, null).Items[0].Lines);
        Assert.False(reloaded.Put("O2", 4, [Expected("O2", "R1")]));

        const string storedBefore = """
            {"orders":{"O1":{"version":2,"changedAt":1,"tasks":[{"orderId":"O1","fulfilmentId":"F1","mode":"ship","status":"accepted",
            "lines":[{"lineId":"1","sku":"SKU-1","quantity":1}],"requestedAt":"2026-12-01T09:00:00+00:00","acceptBy":null,"collectBy":null,
            "customerName":"Ada L.","incoming":false}]},"O2":{"version":5,"changedAt":2,"tasks":[]}},"changes":2}
            """;
        var fulfilments = new FulfilmentQueue(JsonSerializer.Deserialize<FulfilmentQueueState>(storedBefore, JsonGrainStateSerializer.Options)!);
        var fulfilment = Assert.Single(fulfilments.List(null, 10, null).Items);
        Assert.Equal(("F1", FulfilmentStatus.Accepted, "Ada L."), (fulfilment.FulfilmentId, fulfilment.Status, fulfilment.CustomerName));
        Assert.False(fulfilments.Put("O2", 5, []));
    }
}

/// <summary>The receiving queue as a grain in a two-silo cluster: what the returns grains put is what a location lists.</summary>
[Collection("cluster")]
public sealed class ReturnQueueGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_location_lists_the_returns_it_expects_and_a_late_older_put_changes_nothing()
    {
        var boutique = fixture.Grains.GetGrain<IReturnQueueGrain>(Network.Unique("BQ"));
        Assert.Empty((await boutique.List(null, 10, null)).Items);

        await boutique.Put("O1", 1, [ReturnQueueTests.Expected("O1", "R1", 3)]);
        await boutique.Put("O2", 1, [ReturnQueueTests.Expected("O2", "R1", 1) with { Method = ReturnMethod.DropOff }, ReturnQueueTests.Expected("O2", "R2", 2)]);
        await boutique.Put("O1", 3, [ReturnQueueTests.Expected("O1", "R1", 3, ReturnStatus.PartiallyReceived)]);
        await boutique.Put("O1", 2, []);

        var page = await boutique.List(null, 200, null);
        Assert.Equal("O2/R1 O2/R2 O1/R1", ReturnQueueTests.Ids(page));
        Assert.Equal(ReturnMethod.DropOff, page.Items[0].Method);
        Assert.Equal(("SKU-R2", 49.90m), (page.Items[1].Lines[0].Sku, page.Items[1].Lines[0].UnitPrice));
        Assert.Null(page.Next);

        var first = await boutique.List(null, 2, null);
        Assert.Equal("O1/R1", ReturnQueueTests.Ids(await boutique.List(null, 2, first.Next)));
        Assert.Equal("O1/R1", ReturnQueueTests.Ids(await boutique.List(ReturnStatus.PartiallyReceived, 10, null)));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => boutique.List(null, 10, "nonsense!"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => boutique.Put("O1", 4, [ReturnQueueTests.Expected("O9", "R1")]));
        await boutique.Put("O2", 2, []);
        await boutique.Put("O2", 1, [ReturnQueueTests.Expected("O2", "R9")]);
        Assert.Equal("O1/R1", ReturnQueueTests.Ids(await boutique.List(null, 10, null)));
        Assert.Empty((await fixture.Grains.GetGrain<IReturnQueueGrain>(Network.Unique("BQ")).List(null, 10, null)).Items);
    }
}
