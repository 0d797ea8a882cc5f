using Oms.Contracts.Orders;

namespace Oms.Grains.Orders;

/// <summary>
/// Order search in the memory of the silo that runs the projection. It holds nothing the feed does not: if that
/// silo dies, the projection starts again elsewhere from position 0 and replays the feed (which, in memory, is
/// the cluster's too).
/// </summary>
public sealed class MemoryOrderIndexStore : IOrderIndexStore
{
    private readonly Lock _gate = new();
    private readonly OrderIndex _index = new();
    private long _checkpoint;

    public Task<long> Checkpoint(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_checkpoint);
        }
    }

    public Task Apply(IReadOnlyList<OrderSummary> rows, long checkpoint, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            foreach (var row in rows)
            {
                _index.Upsert(row);
            }

            _checkpoint = Math.Max(_checkpoint, checkpoint);
        }

        return Task.CompletedTask;
    }

    public Task<OrderSearchPage> Search(OrderQuery query, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_index.Search(query));
        }
    }

    public Task Reset(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _index.Clear();
            _checkpoint = 0;
        }

        return Task.CompletedTask;
    }
}
