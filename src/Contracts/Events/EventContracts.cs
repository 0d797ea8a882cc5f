using Orleans.Concurrency;

namespace Oms.Contracts.Events;

/// <summary>
/// The v1 event types. The set is closed: a subscription or feed filter naming a type that is not here is a
/// mistake worth a 400, not a filter that silently never matches.
/// </summary>
public static class EventTypes
{
    public const string OrderPlaced = "order.placed";
    public const string OrderCancelled = "order.cancelled";
    public const string OrderLinesCancelled = "order.linesCancelled";
    public const string OrderNoteAdded = "order.noteAdded";
    public const string OrderNeedsAttention = "order.needsAttention";
    public const string OrderCancellationReversed = "order.cancellationReversed";
    public const string OrderCompleted = "order.completed";
    public const string OrderPickupLocationChanged = "order.pickupLocationChanged";
    public const string FulfilmentRequested = "fulfilment.requested";
    public const string FulfilmentAccepted = "fulfilment.accepted";
    public const string FulfilmentRejected = "fulfilment.rejected";
    public const string FulfilmentPacked = "fulfilment.packed";
    public const string FulfilmentShipped = "fulfilment.shipped";
    public const string FulfilmentDelivered = "fulfilment.delivered";
    public const string FulfilmentReceived = "fulfilment.received";
    public const string FulfilmentReadyForPickup = "fulfilment.readyForPickup";
    public const string FulfilmentCollected = "fulfilment.collected";
    public const string FulfilmentExpired = "fulfilment.expired";
    public const string FulfilmentCancelled = "fulfilment.cancelled";
    public const string FulfilmentInterceptRequested = "fulfilment.interceptRequested";
    public const string FulfilmentInterceptFailed = "fulfilment.interceptFailed";
    public const string ReturnAuthorised = "return.authorised";
    public const string ReturnReceived = "return.received";
    public const string ReturnExpired = "return.expired";
    public const string ReturnCancelled = "return.cancelled";
    public const string RefundRequested = "refund.requested";
    public const string RefundSucceeded = "refund.succeeded";
    public const string RefundFailed = "refund.failed";
    public const string ExchangeCreated = "exchange.created";
    public const string ChargeRequested = "charge.requested";
    public const string ReservationExpired = "reservation.expired";
    public const string StockOutOfStock = "stock.outOfStock";
    public const string StockBackInStock = "stock.backInStock";
    public const string StockLow = "stock.low";
    public const string AvailabilityOutOfStock = "availability.outOfStock";
    public const string AvailabilityBackInStock = "availability.backInStock";

    public const int MaxPatterns = 50;
    public const int MaxPatternLength = 64;

    public static IReadOnlyList<string> All { get; } =
    [
        OrderPlaced, OrderCancelled, OrderLinesCancelled, OrderNoteAdded, OrderNeedsAttention, OrderCancellationReversed, OrderCompleted, OrderPickupLocationChanged,
        FulfilmentRequested, FulfilmentAccepted, FulfilmentRejected, FulfilmentPacked, FulfilmentShipped, FulfilmentDelivered,
        FulfilmentReceived, FulfilmentReadyForPickup, FulfilmentCollected, FulfilmentExpired, FulfilmentCancelled,
        FulfilmentInterceptRequested, FulfilmentInterceptFailed,
        ReturnAuthorised, ReturnReceived, ReturnExpired, ReturnCancelled, RefundRequested, RefundSucceeded, RefundFailed,
        ExchangeCreated, ChargeRequested,
        ReservationExpired,
        StockOutOfStock, StockBackInStock, StockLow, AvailabilityOutOfStock, AvailabilityBackInStock,
    ];

    /// <summary>
    /// Turns patterns (an exact type, <c>family.*</c>, or <c>*</c>) into the concrete types they match.
    /// </summary>
    /// <returns>The error for the first bad pattern, with its index, or null.</returns>
    public static string? TryExpand(IReadOnlyList<string>? patterns, out IReadOnlySet<string> types)
    {
        var matched = new HashSet<string>(StringComparer.Ordinal);
        types = matched;
        if (patterns is null || patterns.Count == 0)
        {
            matched.UnionWith(All);
            return null;
        }

        if (patterns.Count > MaxPatterns)
        {
            return $"At most {MaxPatterns} event type patterns are allowed; {patterns.Count} were given.";
        }

        for (var i = 0; i < patterns.Count; i++)
        {
            var pattern = patterns[i];
            if (string.IsNullOrWhiteSpace(pattern) || pattern.Length > MaxPatternLength)
            {
                return $"Pattern {i} is empty or longer than {MaxPatternLength} characters.";
            }

            var hits = Matching(pattern).ToList();
            if (hits.Count == 0)
            {
                return $"Pattern {i} ('{pattern}') matches no event type; known types are {string.Join(", ", All)}.";
            }

            matched.UnionWith(hits);
        }

        return null;
    }

    public static bool Matches(string pattern, string type) =>
        pattern == "*"
        || (pattern.EndsWith(".*", StringComparison.Ordinal) && type.StartsWith(pattern[..^1], StringComparison.Ordinal))
        || pattern == type;

    private static IEnumerable<string> Matching(string pattern) => All.Where(t => Matches(pattern, t));
}

/// <summary>
/// An event as its cause recorded it: durable with the state change (an order's state write, a stock item's
/// ledger append), before it has a place in the feed. <see cref="Data"/> is the JSON of the CloudEvent's data.
/// </summary>
[GenerateSerializer, Immutable, Alias("oms.OutboxEvent")]
public sealed record OutboxEvent(
    [property: Id(0)] Guid EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] string Subject,
    [property: Id(3)] long Sequence,
    [property: Id(4)] DateTimeOffset Time,
    [property: Id(5)] string Data);

/// <summary>An event in the global feed: its position, and <see cref="Body"/>, the CloudEvent exactly as delivered.</summary>
[GenerateSerializer, Immutable, Alias("oms.FeedEvent")]
public sealed record FeedEvent(
    [property: Id(0)] long Position,
    [property: Id(1)] Guid EventId,
    [property: Id(2)] string Type,
    [property: Id(3)] string Subject,
    [property: Id(4)] long Sequence,
    [property: Id(5)] DateTimeOffset Time,
    [property: Id(6)] string Body);

/// <param name="Next">The position to pass as <c>after</c> for the next page (the last one read, or the one given).</param>
[GenerateSerializer, Immutable, Alias("oms.FeedPage")]
public sealed record FeedPage([property: Id(0)] IReadOnlyList<FeedEvent> Events, [property: Id(1)] long Next);

/// <summary>Reads the global feed for the API tier; every silo answers, so readers do not queue behind one grain.</summary>
[Alias("oms.IEventFeedGrain")]
public interface IEventFeedGrain : IGrainWithIntegerKey
{
    /// <param name="types">Concrete types to keep (already expanded from patterns); null keeps every type.</param>
    [ReadOnly, Alias("Read")]
    Task<FeedPage> Read(long after, int limit, IReadOnlyList<string>? types);

    /// <summary>One subject's events in sequence order, after <paramref name="afterSequence"/>.</summary>
    [ReadOnly, Alias("ReadSubject")]
    Task<FeedPage> ReadSubject(string subject, long afterSequence, int limit);

    /// <summary>Completes once the feed holds an event past <paramref name="position"/>, or after <paramref name="max"/>.</summary>
    /// <returns>The feed's head position as last seen.</returns>
    [ReadOnly, Alias("WaitBeyond")]
    Task<long> WaitBeyond(long position, TimeSpan max);
}

/// <summary>The subjects events are about: stable strings a consumer can key its state by.</summary>
public static class Subjects
{
    public static string Order(string orderId) => $"orders/{orderId}";

    public static string Reservation(string reservationId) => $"reservations/{reservationId}";

    public static string Stock(string sku, string locationId) => $"stock/{Ids.StockItemKey(locationId, sku)}";

    public static string Availability(string sku) => $"availability/{sku}";
}
