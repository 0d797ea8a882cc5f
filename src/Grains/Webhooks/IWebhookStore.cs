using Oms.Contracts.Events;
using Oms.Contracts.Webhooks;

namespace Oms.Grains.Webhooks;

/// <summary>A delivery as stored: what to send (the CloudEvent body, as it was in the feed) and how it went.</summary>
/// <param name="Failures">Failed attempts since it was last queued: its place in the retry schedule.</param>
[GenerateSerializer, Immutable, Alias("oms.StoredDelivery")]
public sealed record StoredDelivery(
    [property: Id(0)] long DeliveryId,
    [property: Id(1)] Guid EventId,
    [property: Id(2)] string Type,
    [property: Id(3)] string Subject,
    [property: Id(4)] long Sequence,
    [property: Id(5)] long Position,
    [property: Id(6)] string Body,
    [property: Id(7)] DeliveryStatus Status,
    [property: Id(8)] int Failures,
    [property: Id(9)] IReadOnlyList<DeliveryAttempt> Attempts,
    [property: Id(10)] DateTimeOffset? NextAttemptAt,
    [property: Id(11)] DateTimeOffset CreatedAt)
{
    public DeliveryView View() => new(DeliveryId, EventId, Type, Subject, Sequence, Position, Status, Attempts, NextAttemptAt, CreatedAt);
}

/// <summary>One attempt's outcome and where it leaves the delivery.</summary>
[GenerateSerializer, Immutable, Alias("oms.DeliveryUpdate")]
public sealed record DeliveryUpdate(
    [property: Id(0)] long DeliveryId,
    [property: Id(1)] DeliveryStatus Status,
    [property: Id(2)] int Failures,
    [property: Id(3)] DeliveryAttempt Attempt,
    [property: Id(4)] DateTimeOffset? NextAttemptAt);

/// <summary>Another activation of the subscription moved its cursor first: this one must stop and reload.</summary>
public sealed class WebhookCursorConflictException(string webhookId, long expected) : Exception($"Webhook {webhookId}: the cursor is no longer at {expected}.");

/// <summary>
/// A subscription's durable delivery state: its cursor over the global feed and its deliveries. Moving the cursor
/// and creating the deliveries of the events it passed are one atomic step (<see cref="Enqueue"/>), so a crash
/// can neither skip an event nor queue it twice.
/// </summary>
public interface IWebhookStore
{
    /// <summary>Creates the subscription's cursor at <paramref name="position"/> (a cursor already there is kept).</summary>
    Task Start(string webhookId, long position, CancellationToken cancellationToken = default);

    /// <returns>The position of the last feed event the subscription has passed, or null when it has none.</returns>
    Task<long?> Cursor(string webhookId, CancellationToken cancellationToken = default);

    /// <summary>Moves the cursor from <paramref name="expectedCursor"/> to <paramref name="cursor"/> and queues a pending
    /// delivery, due at once, for each event, all or nothing.</summary>
    /// <exception cref="WebhookCursorConflictException">The cursor was not at <paramref name="expectedCursor"/>.</exception>
    Task<IReadOnlyList<StoredDelivery>> Enqueue(string webhookId, long expectedCursor, long cursor, IReadOnlyList<FeedEvent> events, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Queues new deliveries of events the cursor already passed (a replay); the cursor stays.</summary>
    Task<IReadOnlyList<StoredDelivery>> Requeue(string webhookId, IReadOnlyList<FeedEvent> events, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <returns>Pending deliveries with ids above <paramref name="afterDeliveryId"/>, oldest first.</returns>
    Task<IReadOnlyList<StoredDelivery>> Open(string webhookId, long afterDeliveryId, int limit, CancellationToken cancellationToken = default);

    Task Record(string webhookId, IReadOnlyList<DeliveryUpdate> updates, CancellationToken cancellationToken = default);

    /// <summary>Makes a delivery pending again, due at <paramref name="now"/>, with its schedule started over.</summary>
    /// <returns>It, or null when there is no such delivery.</returns>
    Task<StoredDelivery?> Retry(string webhookId, long deliveryId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <returns>Deliveries newest first, with ids below <paramref name="before"/> when given.</returns>
    Task<IReadOnlyList<StoredDelivery>> List(string webhookId, DeliveryFilter filter, long? before, int limit, CancellationToken cancellationToken = default);

    /// <summary>Forgets the subscription's cursor and deliveries.</summary>
    Task Drop(string webhookId, CancellationToken cancellationToken = default);

    /// <summary>Drops finished (delivered or dead-lettered) deliveries created before <paramref name="before"/>.</summary>
    Task<int> Prune(DateTimeOffset before, int limit, CancellationToken cancellationToken = default);
}
