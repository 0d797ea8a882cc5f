using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Oms.Grains.Queues;

[GenerateSerializer, Alias("oms.QueuedOrder`1")]
public sealed class QueuedOrder<TTask>
{
    [Id(0)] public long Version { get; set; }

    [Id(1)] public List<TTask> Tasks { get; set; } = [];

    /// <summary>The queue's change counter when this order last changed: the age by which empty orders are forgotten.</summary>
    [Id(2)] public long ChangedAt { get; set; }
}

/// <summary>
/// Stored as JSON without type names, so every queue's state has one shape and each queue's state class only
/// names its task type: the fulfilment queue's rows written before the queues were shared still load.
/// </summary>
[GenerateSerializer, Alias("oms.WorkQueueState`1")]
public class WorkQueueState<TTask>
{
    [Id(0)] public Dictionary<string, QueuedOrder<TTask>> Orders { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public long Changes { get; set; }
}

/// <summary>Where a task sorts, and so where a page starts: after the entry with this key.</summary>
public readonly record struct WorkQueueKey(long AtUtcTicks, string OrderId, string TaskId);

/// <summary>
/// A location's queue of work that orders send it: each order's open tasks here as of the newest version the order
/// sent, listed oldest first. Each kind of task says only how to read its key, status and page; the rules of
/// versions, pages and forgetting are these, once. No Orleans in here, so the rules are tested as tables.
/// </summary>
public abstract class WorkQueue<TTask, TStatus, TPage>(WorkQueueState<TTask> state, int maxRememberedEmpty)
    where TStatus : struct, Enum
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    public const int DefaultMaxRememberedEmpty = 10_000;
    public const int MaxTasksPerOrder = 1_000;
    public const int MaxCursorLength = WorkQueueCursor.MaxLength;
    public const int MaxIdLength = WorkQueueCursor.MaxIdLength;

    /// <summary>Sorted only once someone lists; Puts arrive on every status change of every order.</summary>
    private TTask[]? _sorted;

    public WorkQueueState<TTask> State => state;

    public int Count => state.Orders.Values.Sum(o => o.Tasks.Count);

    /// <summary>What one task is called in a caller's error: "fulfilment", "return".</summary>
    protected abstract string TaskNoun { get; }

    protected abstract WorkQueueKey KeyOf(TTask task);

    protected abstract TStatus StatusOf(TTask task);

    protected abstract TPage Page(IReadOnlyList<TTask> items, string? next);

    /// <returns>Whether anything changed, and so whether the state needs writing.</returns>
    /// <exception cref="ArgumentException">A task of another order, the same task twice, or too many tasks: a caller's bug.</exception>
    public bool Put(string orderId, long version, IReadOnlyList<TTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (!WorkQueueCursor.IsKeyPart(orderId))
        {
            throw new ArgumentException($"An order id is 1 to {MaxIdLength} characters, none of them control characters.", nameof(orderId));
        }

        if (tasks.Count > MaxTasksPerOrder)
        {
            throw new ArgumentException($"At most {MaxTasksPerOrder} {TaskNoun}s of one order at one location.", nameof(tasks));
        }

        var keys = tasks.Select(KeyOf).ToList();
        if (keys.FindIndex(k => k.OrderId != orderId) is var stranger and >= 0)
        {
            throw new ArgumentException($"Task {keys[stranger].TaskId} is of order '{keys[stranger].OrderId}', not '{orderId}'.", nameof(tasks));
        }

        if (keys.Any(k => !WorkQueueCursor.IsKeyPart(k.TaskId)))
        {
            throw new ArgumentException($"A {TaskNoun} id of order '{orderId}' is not 1 to {MaxIdLength} characters without control characters.", nameof(tasks));
        }

        if (keys.Select(k => k.TaskId).Distinct(StringComparer.Ordinal).Count() != keys.Count)
        {
            throw new ArgumentException($"A {TaskNoun} of order '{orderId}' is given twice.", nameof(tasks));
        }

        if (state.Orders.TryGetValue(orderId, out var known) && version <= known.Version)
        {
            return false;
        }

        // Kept even when empty: a late Put of an older version must not bring back what a newer one removed.
        state.Orders[orderId] = new QueuedOrder<TTask> { Version = version, Tasks = [.. tasks], ChangedAt = ++state.Changes };
        _sorted = null;
        if (tasks.Count == 0)
        {
            ForgetOldestEmpty();
        }

        return true;
    }

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> outside 1..<see cref="MaxLimit"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="cursor"/> is not one this queue gave out.</exception>
    public TPage List(TStatus? status, int limit, string? cursor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        WorkQueueKey? after = null;
        if (cursor is not null)
        {
            after = WorkQueueCursor.TryRead(cursor, out var read) ? read : throw new ArgumentException("Not a cursor of this queue.", nameof(cursor));
        }

        var sorted = _sorted ??= [.. state.Orders.Values.SelectMany(o => o.Tasks).OrderBy(KeyOf, WorkQueueCursor.Order)];
        var start = after is { } from ? FirstAfter(sorted, from) : 0;
        var items = new List<TTask>(Math.Min(limit, sorted.Length));
        var more = false;
        for (var i = start; i < sorted.Length; i++)
        {
            if (status is { } wanted && !EqualityComparer<TStatus>.Default.Equals(StatusOf(sorted[i]), wanted))
            {
                continue;
            }

            if (items.Count == limit)
            {
                more = true;
                break;
            }

            items.Add(sorted[i]);
        }

        return Page(items, more ? WorkQueueCursor.Write(KeyOf(items[^1])) : null);
    }

    /// <summary>The first index whose key is past <paramref name="after"/>; the entry itself may be gone since.</summary>
    private int FirstAfter(TTask[] sorted, WorkQueueKey after)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = low + (high - low) / 2;
            if (WorkQueueCursor.Order.Compare(KeyOf(sorted[middle]), after) <= 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>A busy location sees every order it ever served come and go; only recent versions can still be late.</summary>
    private void ForgetOldestEmpty()
    {
        if (state.Orders.Count <= maxRememberedEmpty)
        {
            return;
        }

        var empty = state.Orders.Where(o => o.Value.Tasks.Count == 0).ToList();
        if (empty.Count <= maxRememberedEmpty)
        {
            return;
        }

        foreach (var (orderId, _) in empty.OrderBy(o => o.Value.ChangedAt).Take(empty.Count - maxRememberedEmpty))
        {
            state.Orders.Remove(orderId);
        }
    }
}

/// <summary>The queues' sort order and their opaque cursors, which a client hands back and may have tampered with.</summary>
public static class WorkQueueCursor
{
    /// <summary>Room for two ids of <see cref="MaxIdLength"/> characters of any script.</summary>
    public const int MaxLength = 1_100;

    /// <summary>Twice the API's id rule, and bounded so that every entry's cursor can be read back.</summary>
    public const int MaxIdLength = 128;

    private const string Version = "1";

    /// <summary>Oldest first, then order, then task, ordinally: the same instant in another offset is the same instant.</summary>
    public static IComparer<WorkQueueKey> Order { get; } = Comparer<WorkQueueKey>.Create(Compare);

    public static string Write(WorkQueueKey key)
    {
        // The order id's length first, so no character of an id can be mistaken for a separator.
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{Version}:{key.AtUtcTicks}:{key.OrderId.Length}:{key.OrderId}{key.TaskId}");
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Never throws: a cursor comes from a client and anything may arrive.</summary>
    public static bool TryRead(string? cursor, out WorkQueueKey key)
    {
        key = default;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > MaxLength || !Base64Url.IsValid(cursor.AsSpan()))
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return false;
        }

        var parts = text.Split(':', 4);
        if (parts.Length != 4 || parts[0] != Version
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var orderLength)
            || orderLength >= parts[3].Length
            || !IsKeyPart(parts[3][..orderLength]) || !IsKeyPart(parts[3][orderLength..]))
        {
            return false;
        }

        key = new WorkQueueKey(ticks, parts[3][..orderLength], parts[3][orderLength..]);
        return true;
    }

    public static bool IsKeyPart(string? id) => id is { Length: >= 1 and <= MaxIdLength } && !id.Any(char.IsControl);

    private static int Compare(WorkQueueKey a, WorkQueueKey b)
    {
        var byTime = a.AtUtcTicks.CompareTo(b.AtUtcTicks);
        if (byTime != 0)
        {
            return byTime;
        }

        var byOrder = string.CompareOrdinal(a.OrderId, b.OrderId);
        return byOrder != 0 ? byOrder : string.CompareOrdinal(a.TaskId, b.TaskId);
    }
}
