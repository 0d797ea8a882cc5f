using System.Runtime.ExceptionServices;
using Npgsql;

namespace Oms.Grains.Persistence;

/// <summary>
/// Group commit for one process: items submitted while a write is in flight go together in the next one, so a
/// burst costs a few round trips instead of one each. A caller hears back only once its item is written (or the
/// batch that held it failed). Items keep their arrival order, across batches too.
/// </summary>
/// <param name="weight">What an item counts toward <paramref name="maxBatch"/> (1 by default); an item heavier
/// than the bound still goes, alone.</param>
public sealed class GroupCommit<T>(Func<IReadOnlyList<T>, Task> write, int maxBatch = 1_000, Func<T, int>? weight = null)
{
    private readonly Lock _gate = new();
    private List<Pending> _waiting = [];
    private bool _flushing;

    public Task Submit(T item)
    {
        var pending = new Pending(item);
        bool start;
        lock (_gate)
        {
            _waiting.Add(pending);
            start = !_flushing;
            _flushing = true;
        }

        if (start)
        {
            _ = Task.Run(Flush);
        }

        return pending.Done.Task;
    }

    private async Task Flush()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _flushing = false;
                    return;
                }

                batch = Take();
            }

            try
            {
                await write([.. batch.Select(p => p.Item)]);
                foreach (var p in batch)
                {
                    p.Done.TrySetResult();
                }
            }
            catch (Exception ex)
            {
                // Every owner keeps its item and retries in its own way; nothing is dropped here.
                foreach (var p in batch)
                {
                    p.Done.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>In arrival order up to the bound: a later item never overtakes an earlier one.</summary>
    private List<Pending> Take()
    {
        var taken = 0;
        var load = 0;
        while (taken < _waiting.Count && (taken == 0 || load + Weight(_waiting[taken].Item) <= maxBatch))
        {
            load += Weight(_waiting[taken].Item);
            taken++;
        }

        var batch = _waiting[..taken];
        _waiting = _waiting[taken..];
        return batch;
    }

    private int Weight(T item) => weight?.Invoke(item) ?? 1;

    private sealed class Pending(T item)
    {
        public T Item { get; } = item;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>An item of a group-committed round trip to PostgreSQL, which hears its own outcome.</summary>
public abstract class SharedStatement
{
    public ExceptionDispatchInfo? Failure { get; set; }

    /// <summary>
    /// One round trip for the batch. If the server refused one statement's data (a constraint, a bad value, a row
    /// too large, a deadlock), the batch is halved and each half goes again, down to the item it refused: each
    /// owner hears its own outcome, one bad row cannot fail its neighbours, and finding it costs a few round trips
    /// rather than one per item. Any other failure (the database unreachable, shutting down, out of connections)
    /// is every item's, at once: retrying halves would only multiply the round trips of an outage.
    /// </summary>
    public static async Task Run<TItem>(IReadOnlyList<TItem> batch, Func<IReadOnlyList<TItem>, Task> run) where TItem : SharedStatement
    {
        try
        {
            await run(batch);
        }
        catch (PostgresException refusal) when (batch.Count > 1 && IsAboutOneStatement(refusal))
        {
            var half = batch.Count / 2;
            await Run([.. batch.Take(half)], run);
            await Run([.. batch.Skip(half)], run);
        }
        catch (Exception ex)
        {
            var failure = ExceptionDispatchInfo.Capture(ex);
            foreach (var item in batch)
            {
                item.Failure = failure;
            }
        }
    }

    /// <summary>Classes 22 (data), 23 (integrity) and 54 (limits), and a deadlock: what one statement's rows can cause.</summary>
    private static bool IsAboutOneStatement(PostgresException refusal) =>
        refusal.SqlState.StartsWith("22", StringComparison.Ordinal)
        || refusal.SqlState.StartsWith("23", StringComparison.Ordinal)
        || refusal.SqlState.StartsWith("54", StringComparison.Ordinal)
        || refusal.SqlState == PostgresErrorCodes.DeadlockDetected;
}
