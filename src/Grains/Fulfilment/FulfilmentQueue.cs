using Oms.Contracts.Fulfilments;
using Oms.Grains.Queues;

namespace Oms.Grains.Fulfilments;

[GenerateSerializer, Alias("oms.FulfilmentQueueState")]
public sealed class FulfilmentQueueState : WorkQueueState<FulfilmentTask>;

/// <summary>Where a page starts: after the entry with this sort key.</summary>
public readonly record struct QueueCursor(long RequestedAtUtcTicks, string OrderId, string FulfilmentId);

/// <summary>
/// A location's work queue: each order's open fulfilments here as of the newest version its fulfilment grain sent,
/// listed oldest request first.
/// </summary>
public sealed class FulfilmentQueue(FulfilmentQueueState state, int maxRememberedEmpty = FulfilmentQueue.DefaultMaxRememberedEmpty)
    : WorkQueue<FulfilmentTask, FulfilmentStatus, FulfilmentTaskPage>(state, maxRememberedEmpty)
{
    protected override string TaskNoun => "fulfilment";

    public static string WriteCursor(QueueCursor key) => WorkQueueCursor.Write(new(key.RequestedAtUtcTicks, key.OrderId, key.FulfilmentId));

    /// <summary>Never throws: a cursor comes from a client and anything may arrive.</summary>
    public static bool TryReadCursor(string? cursor, out QueueCursor key)
    {
        var read = WorkQueueCursor.TryRead(cursor, out var found);
        key = read ? new QueueCursor(found.AtUtcTicks, found.OrderId, found.TaskId) : default;
        return read;
    }

    protected override WorkQueueKey KeyOf(FulfilmentTask task) => new(task.RequestedAt.UtcTicks, task.OrderId, task.FulfilmentId);

    protected override FulfilmentStatus StatusOf(FulfilmentTask task) => task.Status;

    protected override FulfilmentTaskPage Page(IReadOnlyList<FulfilmentTask> items, string? next) => new(items, next);
}
