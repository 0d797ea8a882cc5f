using Microsoft.Extensions.Options;
using Oms.Contracts.Events;
using Orleans.Concurrency;

namespace Oms.Grains.Events;

/// <summary>The embedded default's feed: one grain per cluster, so every silo appends to and reads one sequence.</summary>
public sealed class MemoryEventStore(IGrainFactory grains) : IEventStore
{
    private IMemoryEventFeedGrain Feed => grains.GetGrain<IMemoryEventFeedGrain>(0);

    public Task<IReadOnlyList<FeedEvent>> Append(IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken = default) =>
        Feed.Append(events);

    public Task<IReadOnlyList<FeedEvent>> Read(long after, int limit, IReadOnlyCollection<string>? types, CancellationToken cancellationToken = default) =>
        Feed.Read(after, limit, types is null ? null : [.. types]);

    public Task<IReadOnlyList<FeedEvent>> ReadSubject(string subject, long afterSequence, int limit, CancellationToken cancellationToken = default) =>
        Feed.ReadSubject(subject, afterSequence, limit);

    public Task<long> Head(CancellationToken cancellationToken = default) => Feed.Head();

    public Task<long> WaitBeyond(long position, TimeSpan max, CancellationToken cancellationToken = default) => Feed.WaitBeyond(position, max);

    /// <summary>In memory the stock items move their own events straight after the append; a dead silo took both with it.</summary>
    public Task<IReadOnlyList<OutboxEvent>> Stranded(DateTimeOffset olderThan, int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<OutboxEvent>>([]);

    public Task<int> Prune(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) => Feed.Prune(before, limit);
}

[Alias("oms.IMemoryEventFeedGrain")]
public interface IMemoryEventFeedGrain : IGrainWithIntegerKey
{
    [Alias("Append")]
    Task<IReadOnlyList<FeedEvent>> Append(IReadOnlyList<OutboxEvent> events);

    [ReadOnly, Alias("Read")]
    Task<IReadOnlyList<FeedEvent>> Read(long after, int limit, IReadOnlyList<string>? types);

    [ReadOnly, Alias("ReadSubject")]
    Task<IReadOnlyList<FeedEvent>> ReadSubject(string subject, long afterSequence, int limit);

    [ReadOnly, Alias("Head")]
    Task<long> Head();

    /// <summary>Interleaves: a waiting long-poll must not block the appends it waits for.</summary>
    [AlwaysInterleave, Alias("WaitBeyond")]
    Task<long> WaitBeyond(long position, TimeSpan max);

    [Alias("Prune")]
    Task<int> Prune(DateTimeOffset before, int limit);
}

/// <summary>
/// Holds the feed in memory and never deactivates: it is the storage. One activation appends in call order,
/// which is the single-writer rule PostgreSQL gets from its advisory lock.
/// </summary>
[KeepAlive]
public sealed class MemoryEventFeedGrain(IOptions<EventOptions> options) : Grain, IMemoryEventFeedGrain
{
    private readonly List<FeedEvent> _events = [];
    private readonly Dictionary<Guid, long> _ids = [];
    private readonly HashSet<(string Subject, long Sequence)> _sequences = [];
    private readonly Dictionary<string, List<FeedEvent>> _bySubject = new(StringComparer.Ordinal);
    private readonly CloudEventCodec _codec = new(options.Value.Source);
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _head;

    public Task<IReadOnlyList<FeedEvent>> Append(IReadOnlyList<OutboxEvent> events)
    {
        var stored = new List<FeedEvent>();
        foreach (var e in events)
        {
            if (_ids.ContainsKey(e.EventId) || !_sequences.Add((e.Subject, e.Sequence)))
            {
                continue;
            }

            var position = ++_head;
            var fed = new FeedEvent(position, e.EventId, e.Type, e.Subject, e.Sequence, e.Time, _codec.Encode(e, position));
            _events.Add(fed);
            _ids[e.EventId] = position;
            if (!_bySubject.TryGetValue(e.Subject, out var subject))
            {
                _bySubject[e.Subject] = subject = [];
            }

            subject.Add(fed);
            stored.Add(fed);
        }

        var overflow = _events.Count - options.Value.MemoryCapacity;
        if (overflow > 0)
        {
            Drop(overflow);
        }

        if (stored.Count > 0)
        {
            var appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            appended.SetResult();
        }

        return Task.FromResult<IReadOnlyList<FeedEvent>>(stored);
    }

    public Task<IReadOnlyList<FeedEvent>> Read(long after, int limit, IReadOnlyList<string>? types)
    {
        var wanted = types?.ToHashSet(StringComparer.Ordinal);
        var page = new List<FeedEvent>(Math.Min(limit, 128));
        for (var i = FirstAfter(after); i < _events.Count && page.Count < limit; i++)
        {
            if (wanted is null || wanted.Contains(_events[i].Type))
            {
                page.Add(_events[i]);
            }
        }

        return Task.FromResult<IReadOnlyList<FeedEvent>>(page);
    }

    public Task<IReadOnlyList<FeedEvent>> ReadSubject(string subject, long afterSequence, int limit) =>
        Task.FromResult<IReadOnlyList<FeedEvent>>(_bySubject.TryGetValue(subject, out var events)
            ? [.. events.Where(e => e.Sequence > afterSequence).OrderBy(e => e.Sequence).Take(limit)]
            : []);

    public Task<long> Head() => Task.FromResult(_head);

    public async Task<long> WaitBeyond(long position, TimeSpan max)
    {
        var deadline = DateTime.UtcNow + max;
        while (_head <= position)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            try
            {
                await _appended.Task.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                break;
            }
        }

        return _head;
    }

    public Task<int> Prune(DateTimeOffset before, int limit)
    {
        var count = 0;
        while (count < _events.Count && count < limit && _events[count].Time < before)
        {
            count++;
        }

        Drop(count);
        return Task.FromResult(count);
    }

    private void Drop(int count)
    {
        foreach (var e in _events.Take(count))
        {
            _ids.Remove(e.EventId);
            _sequences.Remove((e.Subject, e.Sequence));
            var subject = _bySubject[e.Subject];
            subject.Remove(e);
            if (subject.Count == 0)
            {
                _bySubject.Remove(e.Subject);
            }
        }

        _events.RemoveRange(0, count);
    }

    /// <summary>Positions are dense and ascending in the list, so the first one past <paramref name="after"/> is found by search.</summary>
    private int FirstAfter(long after)
    {
        int lo = 0, hi = _events.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_events[mid].Position <= after)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
