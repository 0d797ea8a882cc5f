using Oms.Contracts.Events;

namespace Oms.Grains.Events;

/// <summary>
/// The global feed's storage. Appends are serialised (one writer at a time, across every silo), so positions
/// commit in the order they are given: a reader paging with <c>after</c> can never see position n+1 before n
/// becomes visible, and so never skips an event that committed late.
/// </summary>
public interface IEventStore
{
    /// <summary>
    /// Gives each new event the next position and stores it, all or none. An event whose id is already in the
    /// feed is skipped (a relay retried after a lost acknowledgement), so the same event never appears twice.
    /// Stock outbox rows of the appended events are removed in the same transaction.
    /// </summary>
    /// <returns>The events as stored, in position order (skipped duplicates are not returned).</returns>
    Task<IReadOnlyList<FeedEvent>> Append(IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken = default);

    /// <param name="types">Concrete types to keep; null keeps every type.</param>
    Task<IReadOnlyList<FeedEvent>> Read(long after, int limit, IReadOnlyCollection<string>? types, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<FeedEvent>> ReadSubject(string subject, long afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>The highest position stored, or 0.</summary>
    Task<long> Head(CancellationToken cancellationToken = default);

    /// <summary>Completes once an event past <paramref name="position"/> is stored, or after <paramref name="max"/>.</summary>
    Task<long> WaitBeyond(long position, TimeSpan max, CancellationToken cancellationToken = default);

    /// <summary>Outbox entries written with a state change but not yet in the feed, older than <paramref name="olderThan"/>.</summary>
    Task<IReadOnlyList<OutboxEvent>> Stranded(DateTimeOffset olderThan, int limit, CancellationToken cancellationToken = default);

    /// <summary>Drops events older than <paramref name="before"/>; at most <paramref name="limit"/> per call.</summary>
    /// <returns>How many were dropped.</returns>
    Task<int> Prune(DateTimeOffset before, int limit, CancellationToken cancellationToken = default);
}
