using Microsoft.Extensions.Logging;
using Oms.Contracts.Returns;
using Oms.Grains.Queues;

namespace Oms.Grains.Returns;

[GenerateSerializer, Alias("oms.ReturnQueueState")]
public sealed class ReturnQueueState : WorkQueueState<ReturnTask>;

/// <summary>
/// A location's receiving queue: each order's returns still expected here as of the newest version its returns grain
/// sent, listed oldest authorisation first, so the returns about to expire are seen first.
/// </summary>
public sealed class ReturnQueue(ReturnQueueState state, int maxRememberedEmpty = ReturnQueue.DefaultMaxRememberedEmpty)
    : WorkQueue<ReturnTask, ReturnStatus, ReturnTaskPage>(state, maxRememberedEmpty)
{
    protected override string TaskNoun => "return";

    protected override WorkQueueKey KeyOf(ReturnTask task) => new(task.AuthorisedAt.UtcTicks, task.OrderId, task.ReturnId);

    protected override ReturnStatus StatusOf(ReturnTask task) => task.Status;

    protected override ReturnTaskPage Page(IReadOnlyList<ReturnTask> items, string? next) => new(items, next);
}

/// <summary>A location's receiving queue of returns, kept by the orders' returns grains.</summary>
public sealed class ReturnQueueGrain(
    [PersistentState("return-queue", OmsStorage.Name)] IPersistentState<ReturnQueueState> state,
    ILogger<ReturnQueueGrain> logger)
    : WorkQueueGrain<ReturnQueueState, ReturnTask, ReturnStatus, ReturnTaskPage>(state, logger), IReturnQueueGrain
{
    protected override ReturnQueue CreateQueue(ReturnQueueState loaded) => new(loaded);
}
