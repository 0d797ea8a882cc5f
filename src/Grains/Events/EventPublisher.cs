using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts.Events;

namespace Oms.Grains.Events;

/// <summary>
/// Moves outbox entries into the feed for every grain of this silo, as group commits: entries that arrive
/// while an append is in flight go together in the next one, so the feed's single writer costs one transaction
/// per batch, not per event. A caller hears back only once its entries are in the feed.
/// </summary>
public sealed class EventPublisher(IEventStore store, IOptions<EventOptions> options)
{
    private readonly Lock _gate = new();
    private List<Pending> _waiting = [];
    private bool _flushing;

    public Task Publish(IReadOnlyList<OutboxEvent> events)
    {
        if (events.Count == 0)
        {
            return Task.CompletedTask;
        }

        var pending = new Pending(events);
        bool start;
        lock (_gate)
        {
            _waiting.Add(pending);
            start = !_flushing;
            _flushing = true;
        }

        if (start)
        {
            _ = Task.Run(Flush);
        }

        return pending.Done.Task;
    }

    /// <summary>
    /// Moves a grain's outbox to the feed and forgets what the feed took. A failure is logged and leaves the events
    /// where the grain's state keeps them, for its watchdog (a reminder) to try again.
    /// </summary>
    /// <returns>Whether the outbox is empty now.</returns>
    public async Task<bool> TryDrain(EventOutbox outbox, ILogger logger, string owner)
    {
        if (outbox.Pending.Count == 0)
        {
            return true;
        }

        var pending = outbox.Pending.ToList();
        try
        {
            await Publish(pending);
            outbox.Acknowledge(pending);
            return outbox.Pending.Count == 0;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "{Owner}: {Count} events stay in its outbox until the feed takes them", owner, pending.Count);
            return false;
        }
    }

    private async Task Flush()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _flushing = false;
                    return;
                }

                batch = Take();
            }

            try
            {
                await store.Append([.. batch.SelectMany(p => p.Events)]);
                foreach (var p in batch)
                {
                    p.Done.TrySetResult();
                }
            }
            catch (Exception ex)
            {
                // Each owner keeps its entries and tries again (its reminder or the relay); nothing is dropped here.
                foreach (var p in batch)
                {
                    p.Done.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>
    /// Whole callers only, in arrival order, up to the batch bound: one caller's entries are never split, and a
    /// later caller never overtakes an earlier one (a subject's events reach the feed in its order).
    /// </summary>
    private List<Pending> Take()
    {
        var max = options.Value.MaxBatchSize;
        var taken = 0;
        var count = 0;
        while (taken < _waiting.Count && (taken == 0 || count + _waiting[taken].Events.Count <= max))
        {
            count += _waiting[taken].Events.Count;
            taken++;
        }

        var batch = _waiting[..taken];
        _waiting = _waiting[taken..];
        return batch;
    }

    private sealed class Pending(IReadOnlyList<OutboxEvent> events)
    {
        public IReadOnlyList<OutboxEvent> Events { get; } = events;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
