using Oms.Contracts.Events;
using Oms.Grains.Events;
using Oms.Grains.Stock;

namespace Oms.Tests.Events;

/// <summary>The pure rules behind events: when stock speaks, which patterns match, what a CloudEvent carries.</summary>
public sealed class EventRulesTests
{
    [Theory]
    [InlineData(0, 0, StockSignal.OutOfStock)]
    [InlineData(-1, 5, StockSignal.OutOfStock)]
    [InlineData(1, 0, StockSignal.InStock)]
    [InlineData(1, 3, StockSignal.Low)]
    [InlineData(3, 3, StockSignal.Low)]
    [InlineData(4, 3, StockSignal.InStock)]
    public void A_signal_follows_atp_and_the_threshold(int available, int threshold, StockSignal expected) =>
        Assert.Equal(expected, StockSignals.Of(available, threshold));

    public static TheoryData<StockSignal, StockSignal, string[]> Transitions => new()
    {
        { StockSignal.OutOfStock, StockSignal.OutOfStock, [] },
        { StockSignal.OutOfStock, StockSignal.Low, [EventTypes.StockBackInStock, EventTypes.StockLow] },
        { StockSignal.OutOfStock, StockSignal.InStock, [EventTypes.StockBackInStock] },
        { StockSignal.Low, StockSignal.OutOfStock, [EventTypes.StockOutOfStock] },
        { StockSignal.Low, StockSignal.Low, [] },
        { StockSignal.Low, StockSignal.InStock, [] },
        { StockSignal.InStock, StockSignal.OutOfStock, [EventTypes.StockOutOfStock] },
        { StockSignal.InStock, StockSignal.Low, [EventTypes.StockLow] },
        { StockSignal.InStock, StockSignal.InStock, [] },
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    public void Every_transition_announces_exactly_its_crossings(StockSignal from, StockSignal to, string[] expected) =>
        Assert.Equal(expected, StockSignals.Crossings(from, to));

    [Theory]
    [InlineData("order.*", new[] { "order.placed", "order.cancelled", "order.linesCancelled", "order.noteAdded", "order.needsAttention", "order.cancellationReversed", "order.completed", "order.pickupLocationChanged" })]
    [InlineData("stock.low", new[] { "stock.low" })]
    [InlineData("availability.*", new[] { "availability.outOfStock", "availability.backInStock" })]
    public void Patterns_expand_to_the_types_they_match(string pattern, string[] expected)
    {
        Assert.Null(EventTypes.TryExpand([pattern], out var types));
        Assert.Equal(expected.Order(), types.Order());
    }

    [Fact]
    public void No_pattern_and_the_wildcard_both_mean_every_type()
    {
        Assert.Null(EventTypes.TryExpand(null, out var none));
        Assert.Null(EventTypes.TryExpand(["*"], out var all));
        Assert.Equal(EventTypes.All.Order(), none.Order());
        Assert.Equal(EventTypes.All.Order(), all.Order());
    }

    [Theory]
    [InlineData("order.shipped")]
    [InlineData("orders.*")]
    [InlineData("order")]
    [InlineData("")]
    [InlineData("*.placed")]
    public void A_pattern_matching_nothing_is_an_error_naming_it(string pattern) =>
        Assert.Contains("Pattern 0", EventTypes.TryExpand([pattern], out _));

    [Fact]
    public void More_than_fifty_patterns_are_refused() =>
        Assert.NotNull(EventTypes.TryExpand([.. Enumerable.Repeat("order.*", EventTypes.MaxPatterns + 1)], out _));

    [Fact]
    public void A_cloudevent_carries_every_required_attribute_and_the_two_extensions()
    {
        var e = new OutboxEvent(Guid.NewGuid(), EventTypes.OrderPlaced, "orders/ORD-1", 3, DateTimeOffset.Parse("2026-12-01T10:00:00Z"), """{"order":{"orderId":"ORD-1","at":"2026-12-01T10:00:00+00:00"}}""");
        var body = new CloudEventCodec("/oms").Encode(e, 42);
        var decoded = CloudEventCodec.Decode(body);
        Assert.Equal(e.EventId.ToString(), decoded.Id);
        Assert.Equal("/oms", decoded.Source!.ToString());
        Assert.Equal("order.placed", decoded.Type);
        Assert.Equal("orders/ORD-1", decoded.Subject);
        Assert.Equal(e.Time, decoded.Time);
        Assert.Equal("application/json", decoded.DataContentType);
        Assert.Equal(3, decoded[CloudEventCodec.Sequence]);
        Assert.Equal(42, decoded[CloudEventCodec.Position]);
        Assert.Equal(CloudNative.CloudEvents.CloudEventsSpecVersion.V1_0, decoded.SpecVersion);
        Assert.Contains("\"data\":{\"order\":{\"orderId\":\"ORD-1\",\"at\":\"2026-12-01T10:00:00+00:00\"}}", body);
    }

    [Fact]
    public void An_outbox_raises_gapless_sequences_and_forgets_only_what_the_feed_acknowledged()
    {
        var outbox = new EventOutbox();
        var a = outbox.Raise(EventTypes.OrderPlaced, "orders/A", new { x = 1 }, DateTimeOffset.UtcNow);
        var b = outbox.Raise(EventTypes.OrderNoteAdded, "orders/A", new { x = 2 }, DateTimeOffset.UtcNow);
        Assert.Equal((1L, 2L), (a.Sequence, b.Sequence));
        outbox.Acknowledge([a]);
        Assert.Equal([b], outbox.Pending);
        var c = outbox.Raise(EventTypes.OrderCancelled, "orders/A", new { x = 3 }, DateTimeOffset.UtcNow);
        Assert.Equal(3, c.Sequence);
        Assert.Equal("""{"x":3}""", c.Data);
    }
}
