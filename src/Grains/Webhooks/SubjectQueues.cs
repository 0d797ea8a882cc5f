namespace Oms.Grains.Webhooks;

/// <summary>One open (pending) delivery as the pump holds it in memory.</summary>
public sealed class QueuedDelivery
{
    public required long DeliveryId { get; init; }
    public required Guid EventId { get; init; }
    public required string Type { get; init; }
    public required string Subject { get; init; }
    public required long Sequence { get; init; }
    public required long Position { get; init; }
    public required string Body { get; init; }

    /// <summary>Failed attempts since it was (re)queued: its place in the retry schedule.</summary>
    public int Failures { get; set; }

    public DateTimeOffset DueAt { get; set; }
}

/// <summary>
/// The ordering rule of one subscription: each subject's open deliveries form a queue in sequence order, and only
/// its head may be in flight, so a later event of an order never overtakes an earlier one (it waits until the
/// earlier is delivered or dead-lettered); subjects are independent, so one failing order holds up nobody else.
/// Finding what is ready costs O(log n) per delivery, not a scan of every subject.
/// </summary>
public sealed class SubjectQueues
{
    private static readonly Comparer<QueuedDelivery> InSubjectOrder = Comparer<QueuedDelivery>.Create((a, b) =>
        a.Sequence != b.Sequence ? a.Sequence.CompareTo(b.Sequence) : a.DeliveryId.CompareTo(b.DeliveryId));

    private readonly Dictionary<string, SortedSet<QueuedDelivery>> _subjects = new(StringComparer.Ordinal);
    private readonly Dictionary<long, QueuedDelivery> _byId = [];
    private readonly Dictionary<string, long> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Heads that may be ready, by due time. Entries go stale when a head changes; they are checked when taken.</summary>
    private readonly PriorityQueue<(string Subject, long DeliveryId, DateTimeOffset DueAt), (DateTimeOffset, long)> _heads = new();

    public int Count => _byId.Count;

    public int InFlight => _inFlight.Count;

    public bool Contains(long deliveryId) => _byId.ContainsKey(deliveryId);

    public bool IsInFlight(long deliveryId) =>
        _byId.TryGetValue(deliveryId, out var item) && _inFlight.TryGetValue(item.Subject, out var sending) && sending == deliveryId;

    public void Add(QueuedDelivery item)
    {
        if (!_byId.TryAdd(item.DeliveryId, item))
        {
            return;
        }

        if (!_subjects.TryGetValue(item.Subject, out var queue))
        {
            _subjects[item.Subject] = queue = new SortedSet<QueuedDelivery>(InSubjectOrder);
        }

        queue.Add(item);
        Offer(item.Subject);
    }

    /// <summary>Moves a waiting delivery's next attempt (a manual retry); one in flight is left to finish.</summary>
    public bool Reschedule(long deliveryId, DateTimeOffset dueAt, int failures)
    {
        if (!_byId.TryGetValue(deliveryId, out var item) || IsInFlight(deliveryId))
        {
            return false;
        }

        item.DueAt = dueAt;
        item.Failures = failures;
        Offer(item.Subject);
        return true;
    }

    /// <summary>Takes up to <paramref name="capacity"/> heads that are due, marking their subjects in flight.</summary>
    public IReadOnlyList<QueuedDelivery> TakeReady(DateTimeOffset now, int capacity)
    {
        var ready = new List<QueuedDelivery>();
        while (ready.Count < capacity && _heads.TryPeek(out var entry, out _) && entry.DueAt <= now)
        {
            _heads.Dequeue();
            if (Current(entry) is { } head)
            {
                _inFlight[head.Subject] = head.DeliveryId;
                ready.Add(head);
            }
        }

        return ready;
    }

    /// <summary>When the earliest waiting head falls due, or null when nothing waits.</summary>
    public DateTimeOffset? NextDue()
    {
        while (_heads.TryPeek(out var entry, out _))
        {
            if (Current(entry) is not null)
            {
                return entry.DueAt;
            }

            _heads.Dequeue();
        }

        return null;
    }

    /// <summary>An in-flight head's outcome: finished (delivered or dead-lettered) releases the subject's next event.</summary>
    public void Complete(QueuedDelivery item, bool finished, DateTimeOffset nextDue)
    {
        _inFlight.Remove(item.Subject);
        if (finished)
        {
            _byId.Remove(item.DeliveryId);
            var queue = _subjects[item.Subject];
            queue.Remove(item);
            if (queue.Count == 0)
            {
                _subjects.Remove(item.Subject);
                return;
            }
        }
        else
        {
            item.DueAt = nextDue;
        }

        Offer(item.Subject);
    }

    private void Offer(string subject)
    {
        if (!_inFlight.ContainsKey(subject) && _subjects.TryGetValue(subject, out var queue) && queue.Min is { } head)
        {
            _heads.Enqueue((subject, head.DeliveryId, head.DueAt), (head.DueAt, head.DeliveryId));
        }
    }

    private QueuedDelivery? Current((string Subject, long DeliveryId, DateTimeOffset DueAt) entry) =>
        !_inFlight.ContainsKey(entry.Subject) && _subjects.TryGetValue(entry.Subject, out var queue)
            && queue.Min is { } head && head.DeliveryId == entry.DeliveryId && head.DueAt == entry.DueAt
            ? head
            : null;
}
