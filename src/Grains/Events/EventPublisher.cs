using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts.Events;
using Oms.Grains.Persistence;

namespace Oms.Grains.Events;

/// <summary>
/// Moves outbox entries into the feed for every grain of this silo, as group commits: entries that arrive
/// while an append is in flight go together in the next one, so the feed's single writer costs one transaction
/// per batch, not per event. A caller hears back only once its entries are in the feed.
/// </summary>
public sealed class EventPublisher(IEventStore store, IOptions<EventOptions> options, TimeProvider clock, Diagnostics.OmsMeters meters)
{
    private readonly GroupCommit<IReadOnlyList<OutboxEvent>> _commits =
        new(async batch => Lagged(await store.Append([.. batch.SelectMany(e => e)]), clock, meters), options.Value.MaxBatchSize, events => events.Count);

    /// <summary>
    /// How long each event the feed stored took to get there; an id the feed already held (a relay's retry) is not
    /// returned by the append, so no event is recorded twice. Long lags are the relay moving a stranded outbox.
    /// </summary>
    private static void Lagged(IReadOnlyList<FeedEvent> stored, TimeProvider clock, Diagnostics.OmsMeters meters)
    {
        var now = clock.GetUtcNow();
        foreach (var e in stored)
        {
            // Another silo's clock may run a little ahead of this one's.
            meters.FeedLag.Record(Math.Max(0, (now - e.Time).TotalSeconds));
        }
    }

    /// <remarks>One caller's events are never split across appends, and a later caller never overtakes an earlier
    /// one, so a subject's events reach the feed in its order.</remarks>
    public Task Publish(IReadOnlyList<OutboxEvent> events) => events.Count == 0 ? Task.CompletedTask : _commits.Submit(events);

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
}
