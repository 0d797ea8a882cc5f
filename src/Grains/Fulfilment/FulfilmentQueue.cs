using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Oms.Contracts.Fulfilments;

namespace Oms.Grains.Fulfilments;

[GenerateSerializer, Alias("oms.QueuedOrder")]
public sealed class QueuedOrder
{
    [Id(0)] public long Version { get; set; }

    [Id(1)] public List<FulfilmentTask> Tasks { get; set; } = [];

    /// <summary>The queue's change counter when this order last changed: the age by which empty orders are forgotten.</summary>
    [Id(2)] public long ChangedAt { get; set; }
}

[GenerateSerializer, Alias("oms.FulfilmentQueueState")]
public sealed class FulfilmentQueueState
{
    [Id(0)] public Dictionary<string, QueuedOrder> Orders { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public long Changes { get; set; }
}

/// <summary>Where a page starts: after the entry with this sort key.</summary>
public readonly record struct QueueCursor(long RequestedAtUtcTicks, string OrderId, string FulfilmentId);

/// <summary>
/// A location's work queue: each order's open fulfilments here as of the newest version its fulfilment grain sent,
/// listed oldest request first. No Orleans in here, so the rules are tested as tables.
/// </summary>
public sealed class FulfilmentQueue(FulfilmentQueueState state, int maxRememberedEmpty = FulfilmentQueue.DefaultMaxRememberedEmpty)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    public const int DefaultMaxRememberedEmpty = 10_000;
    public const int MaxTasksPerOrder = 1_000;
    /// <summary>Room for two ids of <see cref="MaxIdLength"/> characters of any script.</summary>
    public const int MaxCursorLength = 1_100;

    /// <summary>Twice the API's id rule, and bounded so that every entry's cursor can be read back.</summary>
    public const int MaxIdLength = 128;

    private const string CursorVersion = "1";

    private static readonly Comparer<FulfilmentTask> Order = Comparer<FulfilmentTask>.Create((a, b) => Compare(KeyOf(a), KeyOf(b)));

    /// <summary>Sorted only once someone lists; Puts arrive on every status change of every order.</summary>
    private FulfilmentTask[]? _sorted;

    public FulfilmentQueueState State => state;

    public int Count => state.Orders.Values.Sum(o => o.Tasks.Count);

    /// <returns>Whether anything changed, and so whether the state needs writing.</returns>
    /// <exception cref="ArgumentException">A task of another order, the same fulfilment twice, or too many tasks: a caller's bug.</exception>
    public bool Put(string orderId, long version, IReadOnlyList<FulfilmentTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (!IsKeyPart(orderId))
        {
            throw new ArgumentException($"An order id is 1 to {MaxIdLength} characters, none of them control characters.", nameof(orderId));
        }

        if (tasks.Count > MaxTasksPerOrder)
        {
            throw new ArgumentException($"At most {MaxTasksPerOrder} fulfilments of one order at one location.", nameof(tasks));
        }

        if (tasks.FirstOrDefault(t => t.OrderId != orderId) is { } stranger)
        {
            throw new ArgumentException($"Task {stranger.FulfilmentId} is of order '{stranger.OrderId}', not '{orderId}'.", nameof(tasks));
        }

        if (tasks.Any(t => !IsKeyPart(t.FulfilmentId)))
        {
            throw new ArgumentException($"A fulfilment id of order '{orderId}' is not 1 to {MaxIdLength} characters without control characters.", nameof(tasks));
        }

        if (tasks.Select(t => t.FulfilmentId).Distinct(StringComparer.Ordinal).Count() != tasks.Count)
        {
            throw new ArgumentException($"A fulfilment of order '{orderId}' is given twice.", nameof(tasks));
        }

        if (state.Orders.TryGetValue(orderId, out var known) && version <= known.Version)
        {
            return false;
        }

        // Kept even when empty: a late Put of an older version must not bring back what a newer one removed.
        state.Orders[orderId] = new QueuedOrder { Version = version, Tasks = [.. tasks], ChangedAt = ++state.Changes };
        _sorted = null;
        if (tasks.Count == 0)
        {
            ForgetOldestEmpty();
        }

        return true;
    }

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> outside 1..<see cref="MaxLimit"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="cursor"/> is not one this queue gave out.</exception>
    public FulfilmentTaskPage List(FulfilmentStatus? status, int limit, string? cursor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        QueueCursor? after = null;
        if (cursor is not null)
        {
            after = TryReadCursor(cursor, out var read) ? read : throw new ArgumentException("Not a cursor of this queue.", nameof(cursor));
        }

        var sorted = _sorted ??= [.. state.Orders.Values.SelectMany(o => o.Tasks).Order(Order)];
        var start = after is { } from ? FirstAfter(sorted, from) : 0;
        var items = new List<FulfilmentTask>(Math.Min(limit, sorted.Length));
        var more = false;
        for (var i = start; i < sorted.Length; i++)
        {
            if (status is not null && sorted[i].Status != status)
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

        return new FulfilmentTaskPage(items, more ? WriteCursor(KeyOf(items[^1])) : null);
    }

    public static string WriteCursor(QueueCursor key)
    {
        // The order id's length first, so no character of an id can be mistaken for a separator.
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{CursorVersion}:{key.RequestedAtUtcTicks}:{key.OrderId.Length}:{key.OrderId}{key.FulfilmentId}");
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Never throws: a cursor comes from a client and anything may arrive.</summary>
    public static bool TryReadCursor(string? cursor, out QueueCursor key)
    {
        key = default;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > MaxCursorLength || !Base64Url.IsValid(cursor.AsSpan()))
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
        if (parts.Length != 4 || parts[0] != CursorVersion
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var orderLength)
            || orderLength >= parts[3].Length
            || !IsKeyPart(parts[3][..orderLength]) || !IsKeyPart(parts[3][orderLength..]))
        {
            return false;
        }

        key = new QueueCursor(ticks, parts[3][..orderLength], parts[3][orderLength..]);
        return true;
    }

    private static bool IsKeyPart(string? id) => id is { Length: >= 1 and <= MaxIdLength } && !id.Any(char.IsControl);

    private static QueueCursor KeyOf(FulfilmentTask task) => new(task.RequestedAt.UtcTicks, task.OrderId, task.FulfilmentId);

    private static int Compare(QueueCursor a, QueueCursor b)
    {
        var byTime = a.RequestedAtUtcTicks.CompareTo(b.RequestedAtUtcTicks);
        if (byTime != 0)
        {
            return byTime;
        }

        var byOrder = string.CompareOrdinal(a.OrderId, b.OrderId);
        return byOrder != 0 ? byOrder : string.CompareOrdinal(a.FulfilmentId, b.FulfilmentId);
    }

    /// <summary>The first index whose key is past <paramref name="after"/>; the entry itself may be gone since.</summary>
    private static int FirstAfter(FulfilmentTask[] sorted, QueueCursor after)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = low + (high - low) / 2;
            if (Compare(KeyOf(sorted[middle]), after) <= 0)
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

    /// <summary>A busy warehouse sees every order it ever served come and go; only recent versions can still be late.</summary>
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
