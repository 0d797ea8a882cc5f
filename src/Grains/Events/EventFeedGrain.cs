using Oms.Contracts.Events;
using Orleans.Concurrency;

namespace Oms.Grains.Events;

/// <summary>The API tier's way into the feed: a stateless worker, so every silo reads for it and none queues readers.</summary>
[StatelessWorker]
public sealed class EventFeedGrain(IEventStore store) : Grain, IEventFeedGrain
{
    public const int MaxPage = 1_000;

    /// <summary>One wait stays well inside a grain call's timeout; the API loops for longer long-polls.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);

    public async Task<FeedPage> Read(long after, int limit, IReadOnlyList<string>? types)
    {
        limit = Math.Clamp(limit, 1, MaxPage);
        after = Math.Max(0, after);
        if (types is null)
        {
            var events = await store.Read(after, limit, null);
            return new FeedPage(events, events.Count > 0 ? events[^1].Position : after);
        }

        // A filtered page that is not full has looked at everything up to the head read before it (positions
        // commit in order, so the read saw a prefix of the feed at least that long): the reader may skip straight
        // there instead of rescanning events that did not match.
        var head = await store.Head();
        var page = await store.Read(after, limit, types);
        var last = page.Count > 0 ? page[^1].Position : after;
        return new FeedPage(page, page.Count == limit ? last : Math.Max(Math.Max(after, head), last));
    }

    public async Task<FeedPage> ReadSubject(string subject, long afterSequence, int limit)
    {
        limit = Math.Clamp(limit, 1, MaxPage);
        var events = await store.ReadSubject(subject, Math.Max(0, afterSequence), limit);
        return new FeedPage(events, events.Count > 0 ? events[^1].Sequence : afterSequence);
    }

    public Task<long> WaitBeyond(long position, TimeSpan max) =>
        store.WaitBeyond(position, max < TimeSpan.Zero ? TimeSpan.Zero : max > MaxWait ? MaxWait : max);
}
