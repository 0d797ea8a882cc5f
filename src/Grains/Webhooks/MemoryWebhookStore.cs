using Oms.Contracts.Events;
using Oms.Contracts.Webhooks;

namespace Oms.Grains.Webhooks;

/// <summary>The embedded default's webhook store: the same contract as PostgreSQL, kept in one grain per
/// subscription so every silo of an in-memory cluster sees the same deliveries wherever the subscription activates.</summary>
public sealed class MemoryWebhookStore(IGrainFactory grains) : IWebhookStore
{
    private IMemoryWebhookStoreGrain Of(string webhookId) => grains.GetGrain<IMemoryWebhookStoreGrain>(webhookId);

    public Task Start(string webhookId, long position, CancellationToken cancellationToken = default) => Of(webhookId).Start(position);

    public Task<long?> Cursor(string webhookId, CancellationToken cancellationToken = default) => Of(webhookId).Cursor();

    public async Task<IReadOnlyList<StoredDelivery>> Enqueue(string webhookId, long expectedCursor, long cursor, IReadOnlyList<FeedEvent> events, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        await Of(webhookId).Enqueue(expectedCursor, cursor, events, now) ?? throw new WebhookCursorConflictException(webhookId, expectedCursor);

    public Task<IReadOnlyList<StoredDelivery>> Requeue(string webhookId, IReadOnlyList<FeedEvent> events, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Of(webhookId).Requeue(events, now);

    public Task<IReadOnlyList<StoredDelivery>> Open(string webhookId, long afterDeliveryId, int limit, CancellationToken cancellationToken = default) =>
        Of(webhookId).Open(afterDeliveryId, limit);

    public Task Record(string webhookId, IReadOnlyList<DeliveryUpdate> updates, CancellationToken cancellationToken = default) => Of(webhookId).Record(updates);

    public Task<StoredDelivery?> Retry(string webhookId, long deliveryId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Of(webhookId).Retry(deliveryId, now);

    public Task<IReadOnlyList<StoredDelivery>> List(string webhookId, DeliveryFilter filter, long? before, int limit, CancellationToken cancellationToken = default) =>
        Of(webhookId).List(filter, before, limit);

    public Task Drop(string webhookId, CancellationToken cancellationToken = default) => Of(webhookId).Drop();

    /// <summary>Nothing to do: each subscription's grain keeps at most <see cref="MemoryWebhookStoreGrain.MaxFinished"/> finished deliveries.</summary>
    public Task<int> Prune(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) => Task.FromResult(0);
}

[Alias("oms.IMemoryWebhookStoreGrain")]
public interface IMemoryWebhookStoreGrain : IGrainWithStringKey
{
    [Alias("Start")] Task Start(long position);

    [Alias("Cursor")] Task<long?> Cursor();

    /// <returns>null when the cursor was not at <paramref name="expectedCursor"/>.</returns>
    [Alias("Enqueue")] Task<IReadOnlyList<StoredDelivery>?> Enqueue(long expectedCursor, long cursor, IReadOnlyList<FeedEvent> events, DateTimeOffset now);

    [Alias("Requeue")] Task<IReadOnlyList<StoredDelivery>> Requeue(IReadOnlyList<FeedEvent> events, DateTimeOffset now);

    [Alias("Open")] Task<IReadOnlyList<StoredDelivery>> Open(long afterDeliveryId, int limit);

    [Alias("Record")] Task Record(IReadOnlyList<DeliveryUpdate> updates);

    [Alias("Retry")] Task<StoredDelivery?> Retry(long deliveryId, DateTimeOffset now);

    [Alias("List")] Task<IReadOnlyList<StoredDelivery>> List(DeliveryFilter filter, long? before, int limit);

    [Alias("Drop")] Task Drop();
}

[KeepAlive]
public sealed class MemoryWebhookStoreGrain : Grain, IMemoryWebhookStoreGrain
{
    /// <summary>Finished deliveries kept for the log; older ones are forgotten (PostgreSQL prunes by age instead).</summary>
    public const int MaxFinished = 20_000;

    private readonly SortedDictionary<long, StoredDelivery> _deliveries = [];
    private readonly Queue<long> _finished = new();
    private long? _cursor;
    private long _nextId = 1;

    public Task Start(long position)
    {
        _cursor ??= position;
        return Task.CompletedTask;
    }

    public Task<long?> Cursor() => Task.FromResult(_cursor);

    public Task<IReadOnlyList<StoredDelivery>?> Enqueue(long expectedCursor, long cursor, IReadOnlyList<FeedEvent> events, DateTimeOffset now)
    {
        if (_cursor != expectedCursor)
        {
            return Task.FromResult<IReadOnlyList<StoredDelivery>?>(null);
        }

        _cursor = cursor;
        return Task.FromResult<IReadOnlyList<StoredDelivery>?>(Add(events, now));
    }

    public Task<IReadOnlyList<StoredDelivery>> Requeue(IReadOnlyList<FeedEvent> events, DateTimeOffset now) => Task.FromResult<IReadOnlyList<StoredDelivery>>(Add(events, now));

    public Task<IReadOnlyList<StoredDelivery>> Open(long afterDeliveryId, int limit) =>
        Task.FromResult<IReadOnlyList<StoredDelivery>>([.. _deliveries.Values.Where(d => d.DeliveryId > afterDeliveryId && d.Status == DeliveryStatus.Pending).Take(limit)]);

    public Task Record(IReadOnlyList<DeliveryUpdate> updates)
    {
        foreach (var update in updates)
        {
            if (_deliveries.TryGetValue(update.DeliveryId, out var delivery))
            {
                _deliveries[update.DeliveryId] = delivery with
                {
                    Status = update.Status,
                    Failures = update.Failures,
                    Attempts = [.. delivery.Attempts.TakeLast(WebhookLimits.MaxAttemptsKept - 1), update.Attempt],
                    NextAttemptAt = update.NextAttemptAt,
                };
                if (update.Status != DeliveryStatus.Pending)
                {
                    _finished.Enqueue(update.DeliveryId);
                }
            }
        }

        while (_finished.Count > MaxFinished)
        {
            var id = _finished.Dequeue();
            if (_deliveries.TryGetValue(id, out var old) && old.Status != DeliveryStatus.Pending)
            {
                _deliveries.Remove(id);
            }
        }

        return Task.CompletedTask;
    }

    public Task<StoredDelivery?> Retry(long deliveryId, DateTimeOffset now)
    {
        if (!_deliveries.TryGetValue(deliveryId, out var delivery))
        {
            return Task.FromResult<StoredDelivery?>(null);
        }

        delivery = delivery with { Status = DeliveryStatus.Pending, Failures = 0, NextAttemptAt = now };
        _deliveries[deliveryId] = delivery;
        return Task.FromResult<StoredDelivery?>(delivery);
    }

    public Task<IReadOnlyList<StoredDelivery>> List(DeliveryFilter filter, long? before, int limit) =>
        Task.FromResult<IReadOnlyList<StoredDelivery>>([.. _deliveries.Values.Reverse()
            .Where(d => before is null || d.DeliveryId < before)
            .Where(d => WebhookLimits.Matches(filter, d.Status, d.Attempts.Count))
            .Take(limit)]);

    public Task Drop()
    {
        _deliveries.Clear();
        _finished.Clear();
        _cursor = null;
        return Task.CompletedTask;
    }

    private List<StoredDelivery> Add(IReadOnlyList<FeedEvent> events, DateTimeOffset now)
    {
        var added = new List<StoredDelivery>(events.Count);
        foreach (var e in events)
        {
            var delivery = new StoredDelivery(_nextId++, e.EventId, e.Type, e.Subject, e.Sequence, e.Position, e.Body, DeliveryStatus.Pending, 0, [], now, now);
            _deliveries[delivery.DeliveryId] = delivery;
            added.Add(delivery);
        }

        return added;
    }
}
