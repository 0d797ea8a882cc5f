using Oms.Contracts.Fulfilments;

namespace Oms.Grains.Fulfilments;

/// <summary>
/// A location's work queue, keyed by location id. The orders' fulfilment grains put what is open here; the
/// location's staff or WMS page through it. It holds no truth of its own: a lost or late Put is mended by the next.
/// </summary>
public sealed class FulfilmentQueueGrain(
    [PersistentState("fulfilment-queue", OmsStorage.Name)] IPersistentState<FulfilmentQueueState> state) : Grain, IFulfilmentQueueGrain
{
    private FulfilmentQueue? _queue;

    private FulfilmentQueue Queue => _queue ??= new FulfilmentQueue(state.State);

    public async Task Put(string orderId, long version, IReadOnlyList<FulfilmentTask> tasks)
    {
        if (!Queue.Put(orderId, version, tasks))
        {
            return;
        }

        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Back to what is stored, so a retried Put of the same version is not taken as already applied.
            _queue = null;
            await state.ReadStateAsync();
            throw;
        }
    }

    public Task<FulfilmentTaskPage> List(FulfilmentStatus? status, int limit, string? cursor) =>
        Task.FromResult(Queue.List(status, limit, cursor));
}
