using Microsoft.Extensions.Logging;
using Oms.Contracts.Fulfilments;
using Oms.Grains.Persistence;

namespace Oms.Grains.Fulfilments;

/// <summary>
/// A location's work queue, keyed by location id. The orders' fulfilment grains put what is open here; the
/// location's staff or WMS page through it. It holds no truth of its own, so it is written at most twice a second
/// rather than on every change (a busy warehouse's queue is thousands of entries): what a crash loses in that
/// moment, the fulfilment grains put again on their next watch, and a version older than the one kept is ignored.
/// </summary>
public sealed class FulfilmentQueueGrain(
    [PersistentState("fulfilment-queue", OmsStorage.Name)] IPersistentState<FulfilmentQueueState> state,
    ILogger<FulfilmentQueueGrain> logger) : Grain, IFulfilmentQueueGrain
{
    private static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(500);

    private DebouncedState<FulfilmentQueueState> _store = null!;
    private FulfilmentQueue _queue = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _store = new DebouncedState<FulfilmentQueueState>(state, this, FlushDelay, logger);
        _queue = new FulfilmentQueue(state.State);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _store.Flush();

    public Task Put(string orderId, long version, IReadOnlyList<FulfilmentTask> tasks)
    {
        if (_queue.Put(orderId, version, tasks))
        {
            _store.MarkDirty();
        }

        return Task.CompletedTask;
    }

    public Task<FulfilmentTaskPage> List(FulfilmentStatus? status, int limit, string? cursor) =>
        Task.FromResult(_queue.List(status, limit, cursor));
}
