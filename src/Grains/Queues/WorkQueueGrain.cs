using Microsoft.Extensions.Logging;
using Oms.Grains.Persistence;

namespace Oms.Grains.Queues;

/// <summary>
/// A location's queue of work as a grain, keyed by location id. The orders' grains put what is open here; the
/// location's staff or systems page through it. It holds no truth of its own, so it is written at most twice a second
/// rather than on every change (a busy location's queue is thousands of entries). So whatever puts here must put
/// again on its next watch what a crash lost in that moment; a version older than the one kept is ignored.
/// </summary>
public abstract class WorkQueueGrain<TState, TTask, TStatus, TPage>(IPersistentState<TState> state, ILogger logger) : Grain
    where TState : WorkQueueState<TTask>
    where TStatus : struct, Enum
{
    private static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(500);

    private DebouncedState<TState> _store = null!;
    private WorkQueue<TTask, TStatus, TPage> _queue = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _store = new DebouncedState<TState>(state, this, FlushDelay, logger);
        _queue = CreateQueue(state.State);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _store.FlushOnDeactivation();

    public Task Put(string orderId, long version, IReadOnlyList<TTask> tasks)
    {
        if (_queue.Put(orderId, version, tasks))
        {
            _store.MarkDirty();
        }

        return Task.CompletedTask;
    }

    public Task<TPage> List(TStatus? status, int limit, string? cursor) => Task.FromResult(_queue.List(status, limit, cursor));

    protected abstract WorkQueue<TTask, TStatus, TPage> CreateQueue(TState loaded);
}
