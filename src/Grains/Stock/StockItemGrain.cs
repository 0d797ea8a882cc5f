using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts;
using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;

namespace Oms.Grains.Stock;

public sealed class StockItemState
{
    public StockPosition Position { get; set; } = new();

    /// <summary>Cached from the location grain on first use, so the hot path never asks it again.</summary>
    public LocationType? LocationType { get; set; }
}

public sealed class StockItemGrain(
    [PersistentState("stockItem", OmsStorage.Name)] IPersistentState<StockItemState> state,
    TimeProvider clock,
    IOptions<StockOptions> options,
    ILogger<StockItemGrain> logger) : Grain, IStockItemGrain, IRemindable
{
    private const string ExpiryReminder = "hold-expiry";

    private string _sku = "";
    private string _locationId = "";
    private IGrainTimer? _expiryTimer;
    private DateTimeOffset? _reminderDue;
    private int? _reportedAvailable;

    private StockPosition Position => state.State.Position;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var at = key.IndexOf('@', StringComparison.Ordinal);
        _sku = key[..at];
        _locationId = key[(at + 1)..];

        if (state.RecordExists)
        {
            // Holds may have lapsed while no activation existed; settle them before anyone reads.
            await ExpireDueHolds();
            await ScheduleExpiry(forceReminder: true);
            ReportAvailability(force: true);
        }
    }

    public async Task<StockLevel> GetLevel()
    {
        await ExpireDueHolds();
        return Level();
    }

    public async Task<StockCommandResult> ApplySnapshot(long sequence, int onHand, int? safetyStock)
    {
        if (!await EnsureLocationKnown())
        {
            return new StockCommandResult(StockOutcome.UnknownLocation, Level(), $"Location '{_locationId}' is not registered.");
        }

        var outcome = await Mutate(p => p.ApplySnapshot(sequence, onHand, safetyStock), o => o == SnapshotOutcome.Applied);
        return outcome switch
        {
            SnapshotOutcome.Applied => new(StockOutcome.Applied, Level(), LastSequence: Position.LastFeedSequence),
            SnapshotOutcome.Duplicate => new(StockOutcome.Duplicate, Level(), LastSequence: Position.LastFeedSequence),
            _ => new(StockOutcome.Stale, Level(), $"Sequence {sequence} is older than {Position.LastFeedSequence}, the last applied.", Position.LastFeedSequence),
        };
    }

    public async Task<StockCommandResult> ApplyAdjustment(string adjustmentId, int delta, string? reason)
    {
        if (!await EnsureLocationKnown())
        {
            return new StockCommandResult(StockOutcome.UnknownLocation, Level(), $"Location '{_locationId}' is not registered.");
        }

        var now = clock.GetUtcNow();
        var outcome = await Mutate(p => p.ApplyAdjustment(adjustmentId, delta, now), o => o == AdjustmentOutcome.Applied);
        return outcome switch
        {
            AdjustmentOutcome.Applied => new(StockOutcome.Applied, Level()),
            AdjustmentOutcome.Duplicate => new(StockOutcome.Duplicate, Level()),
            _ => new(StockOutcome.Rejected, Level(), $"On hand is {Position.OnHand}; a delta of {delta} would take it below zero."),
        };
    }

    public async Task<HoldResult> PlaceHold(string reservationId, int quantity, DateTimeOffset expiresAt)
    {
        if (!await EnsureLocationKnown())
        {
            return new HoldResult(HoldOutcome.UnknownLocation, 0, $"Location '{_locationId}' is not registered.");
        }

        var now = clock.GetUtcNow();
        var decision = await Mutate(p => p.PlaceHold(reservationId, quantity, expiresAt, now), d => d == HoldDecision.Held);
        return decision switch
        {
            HoldDecision.Held or HoldDecision.AlreadyHeld => new(HoldOutcome.Held, Position.Available),
            HoldDecision.Insufficient => new(HoldOutcome.Insufficient, Position.Available, $"Only {Position.Available} available."),
            HoldDecision.QuantityMismatch => new(HoldOutcome.Conflict, Position.Available, "The reservation already holds a different quantity here."),
            _ => new(HoldOutcome.Conflict, Position.Available, "The reservation was already released here."),
        };
    }

    public async Task ReleaseHold(string reservationId)
    {
        var now = clock.GetUtcNow();
        await Mutate(p => p.ReleaseHold(reservationId, now), released => released);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ExpiryReminder)
        {
            return;
        }

        await ExpireDueHolds();
        if (Position.Holds.Count == 0)
        {
            // Unregistered only here, lazily, so releasing the last hold costs no extra reminder write.
            var reminder = await this.GetReminder(ExpiryReminder);
            if (reminder is not null)
            {
                await this.UnregisterReminder(reminder);
            }

            _reminderDue = null;
            return;
        }

        await ScheduleExpiry(forceReminder: true);
    }

    private StockLevel Level() => new(
        _sku, _locationId, Position.OnHand, Position.SafetyStock, Position.Reserved, Position.Allocated, Position.Available);

    private async Task<bool> EnsureLocationKnown()
    {
        if (state.State.LocationType is not null)
        {
            return true;
        }

        var location = await GrainFactory.GetGrain<ILocationGrain>(_locationId).Get();
        if (location is null)
        {
            return false;
        }

        state.State.LocationType = location.Type;
        return true;
    }

    private async Task ExpireDueHolds()
    {
        var now = clock.GetUtcNow();
        if (Position.NextExpiry is { } next && next <= now)
        {
            var expired = await Mutate(p => p.ExpireHolds(now), ids => ids.Count > 0);
            if (expired.Count > 0)
            {
                logger.LogInformation("Expired {Count} holds on {Sku} at {Location}", expired.Count, _sku, _locationId);
            }
        }
    }

    /// <summary>
    /// The persistence seam: every change goes through here, is written once, and only then is visible to callers.
    /// If the write fails the position is put back as it was, and the activation is dropped so the next call
    /// reloads from the database rather than trusting an ETag that may now be stale.
    /// </summary>
    private async Task<T> Mutate<T>(Func<StockPosition, T> change, Func<T, bool> changed)
    {
        var before = Position.Clone();
        var result = change(Position);
        var pruned = Position.Prune(clock.GetUtcNow(), options.Value.IdempotencyWindow);
        if (!changed(result) && !pruned)
        {
            return result;
        }

        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception ex)
        {
            state.State.Position = before;
            logger.LogError(ex, "Stock write failed for {Sku} at {Location}; state restored and activation dropped", _sku, _locationId);
            DeactivateOnIdle();
            throw;
        }

        await ScheduleExpiry(forceReminder: false);
        ReportAvailability(force: false);
        return result;
    }

    private void ReportAvailability(bool force)
    {
        var available = Position.Available;
        if (!force && _reportedAvailable == available)
        {
            return;
        }

        if (state.State.LocationType is not { } type)
        {
            return;
        }

        _reportedAvailable = available;
        GrainFactory.GetGrain<ISkuAvailabilityGrain>(_sku).Report(_locationId, type, available, Position.Version).Ignore();
    }

    /// <summary>
    /// A grain timer releases holds on time while the item is active; a reminder wakes the item if it was
    /// deactivated or its silo died, so no hold outlives its TTL by more than the reminder's lateness.
    /// </summary>
    private async Task ScheduleExpiry(bool forceReminder)
    {
        if (Position.NextExpiry is not { } next)
        {
            _expiryTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var due = next - clock.GetUtcNow();
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }

        // A little past the expiry, so the tick never lands a hair before it and has to wait for another.
        var timerDue = due + TimeSpan.FromMilliseconds(50);
        if (_expiryTimer is null)
        {
            _expiryTimer = this.RegisterGrainTimer(
                ct => ExpireDueHolds(),
                new GrainTimerCreationOptions(timerDue, Timeout.InfiniteTimeSpan) { KeepAlive = false });
        }
        else
        {
            _expiryTimer.Change(timerDue, Timeout.InfiniteTimeSpan);
        }

        if (forceReminder || _reminderDue is null || next < _reminderDue)
        {
            try
            {
                await this.RegisterOrUpdateReminder(ExpiryReminder, due, TimeSpan.FromMinutes(1));
                _reminderDue = next;
            }
            catch (Exception ex)
            {
                // The change is already durable and the timer still runs; only the wake-up after a deactivation
                // is missing, and the next change or activation registers it again.
                logger.LogWarning(ex, "Could not register the hold-expiry reminder for {Sku} at {Location}", _sku, _locationId);
                _reminderDue = null;
            }
        }
    }
}
