using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Fulfilment.FulfilmentQueueTests;

namespace Oms.Tests.Fulfilment;

/// <summary>The work queue as a grain in a two-silo cluster: what the fulfilment grains put is what a location lists.</summary>
[Collection("cluster")]
public sealed class FulfilmentQueueGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_location_lists_what_the_orders_put_there_and_a_late_older_put_changes_nothing()
    {
        var queue = fixture.Grains.GetGrain<IFulfilmentQueueGrain>(Network.Unique("WH"));
        Assert.Empty((await queue.List(null, 10, null)).Items);

        await queue.Put("O1", 1, [Entry("O1", "F1", 3)]);
        await queue.Put("O2", 1, [Entry("O2", "F1", 1, FulfilmentStatus.Accepted), Entry("O2", "F2", 2, mode: FulfilmentMode.Transfer)]);
        await queue.Put("O1", 3, [Entry("O1", "F1", 3, FulfilmentStatus.Packed)]);
        await queue.Put("O1", 2, []);

        var page = await queue.List(null, 200, null);
        Assert.Equal(["O2/F1", "O2/F2", "O1/F1"], page.Items.Select(t => $"{t.OrderId}/{t.FulfilmentId}"));
        Assert.Equal(FulfilmentStatus.Packed, page.Items[2].Status);
        Assert.Equal(FulfilmentMode.Transfer, page.Items[1].Mode);
        Assert.Equal("SKU-F2", page.Items[1].Lines[0].Sku);
        Assert.Null(page.Next);

        var first = await queue.List(null, 2, null);
        Assert.NotNull(first.Next);
        var second = await queue.List(null, 2, first.Next);
        Assert.Equal(["O1/F1"], second.Items.Select(t => $"{t.OrderId}/{t.FulfilmentId}"));
        Assert.Null(second.Next);

        Assert.Equal(["O2/F1"], (await queue.List(FulfilmentStatus.Accepted, 10, null)).Items.Select(t => $"{t.OrderId}/{t.FulfilmentId}"));

        await queue.Put("O2", 2, []);
        await queue.Put("O2", 1, [Entry("O2", "F9")]);
        Assert.Equal(["O1/F1"], (await queue.List(null, 10, null)).Items.Select(t => $"{t.OrderId}/{t.FulfilmentId}"));
    }

    [Fact]
    public async Task Each_location_has_its_own_queue()
    {
        var (a, b) = (Network.Unique("WH"), Network.Unique("BQ"));
        await fixture.Grains.GetGrain<IFulfilmentQueueGrain>(a).Put("O1", 1, [Entry("O1", "F1")]);
        await fixture.Grains.GetGrain<IFulfilmentQueueGrain>(b).Put("O1", 1, [Entry("O1", "F2", mode: FulfilmentMode.Transfer) with { Incoming = true }]);

        var atA = await fixture.Grains.GetGrain<IFulfilmentQueueGrain>(a).List(null, 10, null);
        var atB = await fixture.Grains.GetGrain<IFulfilmentQueueGrain>(b).List(null, 10, null);
        Assert.Equal("F1", Assert.Single(atA.Items).FulfilmentId);
        Assert.True(Assert.Single(atB.Items).Incoming);
    }

    [Fact]
    public async Task A_bad_cursor_or_limit_fails_the_call_and_the_grain_still_answers()
    {
        var queue = fixture.Grains.GetGrain<IFulfilmentQueueGrain>(Network.Unique("WH"));
        await queue.Put("O1", 1, [Entry("O1", "F1")]);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => queue.List(null, 10, "nonsense!"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => queue.List(null, 0, null));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => queue.Put("O1", 2, [Entry("O2", "F1")]));
        Assert.Single((await queue.List(null, 10, null)).Items);
    }
}
