using Oms.Contracts.Events;
using Oms.Contracts.Security;
using System.Text.Json;
using Oms.Grains.Events;

namespace Oms.Grains.Stock;

/// <summary>
/// Group commit for one stock position: commands that arrive while an append is in flight wait, and are then
/// decided together, in arrival order, on the in-memory position and written as one append. No caller hears
/// back before its movements are durable.
/// </summary>
/// <remarks>
/// Deciding at batch time rather than on arrival means a failed append fails exactly the commands in it: the
/// position is reloaded from the ledger and the waiting commands are decided afresh on what is durable.
/// Not thread-safe by design: it runs on one grain activation's scheduler, which serialises every turn.
/// </remarks>
public sealed class StockJournal(string key, IStockLedger ledger, TimeProvider clock, StockOptions options)
{
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);

    private readonly Queue<Command> _waiting = new();
    private bool _flushing;
    private long _snapshotSequence;
    private DateTimeOffset _prunedAt;
    private Task? _snapshot;

    /// <summary>The hold deadline as last recorded by this journal; unknown after a load, so the first append records it.</summary>
    private HoldDeadline? _deadline;
    private bool _deadlineSyncRequested;

    /// <summary>What this item last announced; null after a load that found none (judged afresh at the next append).</summary>
    private StockSignalState? _signal;

    public StockPosition Position { get; private set; } = new();

    /// <summary>The location's low-stock threshold (0: off), kept current by the owner from the location's profile.</summary>
    public int LowStockThreshold { get; set; }

    /// <summary>Raised after each durable append, with the position as it now stands.</summary>
    public event Action<StockPosition>? Committed;

    /// <summary>Raised after an append that put events in the outbox, for the owner to move them to the feed.</summary>
    public event Action<IReadOnlyList<OutboxEvent>>? Emitted;

    /// <summary>Raised when memory could not be restored from the ledger; the owner must drop this journal.</summary>
    public event Action<Exception>? Broken;

    public async Task Load(CancellationToken cancellationToken = default)
    {
        var state = await ledger.Load(key, cancellationToken);
        var position = StockPosition.Replay(state.Tail, state.Snapshot);
        _snapshotSequence = state.Snapshot?.Sequence ?? 0;
        Position = position;
        _deadline = null;
        _signal = state.Signal;
    }

    /// <summary>
    /// Settles every hold that is due and records the earliest remaining expiry even when nothing moved, so a row
    /// the sweep found stale (written by an activation that died) is corrected.
    /// </summary>
    public Task<DateTimeOffset?> SettleDue()
    {
        _deadlineSyncRequested = true;
        return Submit((p, _, _) => p.NextExpiry);
    }

    /// <param name="decide">Checks the rules and records movements on the position; runs when its batch forms.</param>
    public Task<T> Submit<T>(Func<StockPosition, DateTimeOffset, ICollection<StockMovement>, T> decide)
    {
        // Captured now: the batch is decided later, outside the caller's request context.
        var command = new Command<T>(decide, ActorContext.Current);
        _waiting.Enqueue(command);
        if (!_flushing)
        {
            // A flag, not the task: a batch with nothing to write completes synchronously, inside this call.
            _flushing = true;
            _ = Flush();
        }

        return command.Result;
    }

    private async Task Flush()
    {
        try
        {
            while (_waiting.Count > 0)
            {
                var batch = new List<Command>(Math.Min(_waiting.Count, options.MaxBatchSize));
                while (batch.Count < options.MaxBatchSize && _waiting.TryDequeue(out var next))
                {
                    batch.Add(next);
                }

                await Commit(batch);
            }
        }
        finally
        {
            _flushing = false;
        }
    }

    private async Task Commit(List<Command> batch)
    {
        var now = clock.GetUtcNow();
        var expected = Position.Sequence;
        var movements = new List<StockMovement>();

        // An item that never recorded a signal (new, or older than events) starts from what it shows now, so
        // the first append after an upgrade does not announce a change that did not happen.
        var signalBefore = _signal ?? new StockSignalState(0, StockSignals.Of(Position.Available, LowStockThreshold));

        // Holds past their time are released first, in the same append, so no decision counts an expired hold.
        Position.ExpireHolds(now, movements);
        foreach (var command in batch)
        {
            var first = movements.Count;
            command.Decide(Position, now, movements);
            if (command.Actor != ActorContext.System)
            {
                for (var i = first; i < movements.Count; i++)
                {
                    movements[i] = movements[i] with { Actor = command.Actor };
                }
            }
        }

        var deadline = new HoldDeadline(Position.NextExpiry);
        var deadlineChanged = _deadline != deadline;
        StockSignalChange? signal = null;
        if (movements.Count > 0)
        {
            signal = Signal(signalBefore, now);
            try
            {
                await ledger.Append(key, expected, movements, deadlineChanged ? deadline : null, signal);
                _deadline = deadline;
                _signal = signal?.State ?? signalBefore;
            }
            catch (Exception ex)
            {
                // Memory first, answers second: a caller told of the failure may read straight away.
                _deadline = null;
                await Restore(ex);
                foreach (var command in batch)
                {
                    command.Fail(ex);
                }

                return;
            }
        }
        else if (_deadlineSyncRequested)
        {
            await SyncDeadline(deadline);
        }

        _deadlineSyncRequested = false;

        // Pruning walks every remembered id; once a minute keeps a hot item's appends from paying for it each time.
        if (now - _prunedAt >= PruneEvery)
        {
            Position.Prune(now, options.IdempotencyWindow);
            _prunedAt = now;
        }

        if (movements.Count > 0)
        {
            // Published before anyone is answered, so a caller's next read already shows its change.
            Committed?.Invoke(Position);
            if (signal is { Events.Count: > 0 })
            {
                Emitted?.Invoke(signal.Events);
            }
        }

        foreach (var command in batch)
        {
            command.Complete();
        }

        if (movements.Count > 0)
        {
            MaybeSnapshot();
        }
    }

    /// <summary>The change of signal this batch makes, with its events; judged once per append, never per movement.</summary>
    private StockSignalChange? Signal(StockSignalState before, DateTimeOffset now)
    {
        var after = StockSignals.Of(Position.Available, LowStockThreshold);
        if (after == before.Signal)
        {
            return null;
        }

        var sequence = before.Sequence;
        var at = key.IndexOf('@', StringComparison.Ordinal);
        var data = JsonSerializer.Serialize(new
        {
            sku = key[..at],
            locationId = key[(at + 1)..],
            onHand = Position.OnHand,
            safetyStock = Position.SafetyStock,
            reserved = Position.Reserved,
            allocated = Position.Allocated,
            available = Position.Available,
            lowStockThreshold = LowStockThreshold,
        }, EventJson.Options);
        var events = StockSignals.Crossings(before.Signal, after)
            .Select(type => new OutboxEvent(Guid.NewGuid(), type, Subjects.Stock(key[..at], key[(at + 1)..]), ++sequence, now, data))
            .ToList();
        return new StockSignalChange(new StockSignalState(sequence, after), events);
    }

    /// <summary>
    /// The deadline is an index for the sweep, not part of any answer: failing to record it fails no command,
    /// and the next sweep or append tries again.
    /// </summary>
    private async Task SyncDeadline(HoldDeadline deadline)
    {
        try
        {
            await ledger.SetDeadline(key, deadline);
            _deadline = deadline;
        }
        catch (Exception)
        {
            _deadline = null;
        }
    }

    /// <summary>Memory goes back to exactly what the ledger holds; if even that fails, nothing waiting can be trusted.</summary>
    private async Task Restore(Exception cause)
    {
        try
        {
            await Load();
            Committed?.Invoke(Position);
        }
        catch (Exception reloadFailure)
        {
            var failure = new AggregateException(cause, reloadFailure);
            while (_waiting.TryDequeue(out var command))
            {
                command.Fail(failure);
            }

            Broken?.Invoke(failure);
        }
    }

    /// <summary>
    /// A snapshot every so often bounds how much an activation replays. Its size grows with the open holds and
    /// remembered ids, so it is taken only once the movements since the last one outnumber twice those entries:
    /// each movement then pays a constant share of it, and replay stays within a small multiple of the snapshot.
    /// It is written off the append path (the next batch does not wait for it), one at a time, and a failure to
    /// write one is not a failure of the commands already acknowledged.
    /// </summary>
    private void MaybeSnapshot()
    {
        var since = Position.Sequence - _snapshotSequence;
        if (since < options.SnapshotEvery || since < 2L * Entries(Position) || _snapshot is { IsCompleted: false })
        {
            return;
        }

        _snapshot = SaveSnapshot();
    }

    private async Task SaveSnapshot()
    {
        var sequence = Position.Sequence;
        try
        {
            await ledger.SaveSnapshot(key, Position);
            _snapshotSequence = Math.Max(_snapshotSequence, sequence);
        }
        catch (Exception)
        {
            // Retried after a later append; replay from the older snapshot stays correct meanwhile.
        }
    }

    private static long Entries(StockPosition p) =>
        p.OpenHolds + (p.ReleasedHolds?.Count ?? 0) + (p.Allocations?.Count ?? 0) + (p.AppliedAdjustments?.Count ?? 0) + (p.Operations?.Count ?? 0);

    private abstract class Command(string actor)
    {
        public string Actor { get; } = actor;


        public abstract void Decide(StockPosition position, DateTimeOffset now, ICollection<StockMovement> movements);
        public abstract void Complete();
        public abstract void Fail(Exception exception);
    }

    private sealed class Command<T>(Func<StockPosition, DateTimeOffset, ICollection<StockMovement>, T> decide, string actor) : Command(actor)
    {
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _value = default!;
        private Exception? _decideFailure;

        public Task<T> Result => _result.Task;

        public override void Decide(StockPosition position, DateTimeOffset now, ICollection<StockMovement> movements)
        {
            try
            {
                _value = decide(position, now, movements);
            }
            catch (Exception ex)
            {
                // A command that breaks a rule (bad arguments) fails alone; it recorded nothing.
                _decideFailure = ex;
            }
        }

        public override void Complete()
        {
            if (_decideFailure is not null)
            {
                _result.TrySetException(_decideFailure);
            }
            else
            {
                _result.TrySetResult(_value);
            }
        }

        public override void Fail(Exception exception) => _result.TrySetException(exception);
    }
}
