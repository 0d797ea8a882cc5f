using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts.Availability;
using Oms.Contracts.Events;
using Oms.Contracts.Locations;
using Oms.Contracts.Security;
using Oms.Contracts.Stock;
using Oms.Grains.Events;
using Oms.Grains.Faults;
using Orleans.Concurrency;

namespace Oms.Grains.Stock;

/// <summary>
/// One SKU at one location: the single writer of its ledger. Reentrant so that calls arriving while an append
/// is in flight can join the next one (group commit); every decision is still taken in order, one turn at a
/// time, on the in-memory position, inside <see cref="StockJournal"/>.
/// </summary>
[Reentrant]
public sealed class StockItemGrain(
    IStockLedger ledger,
    TimeProvider clock,
    IOptions<StockOptions> options,
    EventPublisher publisher,
    ILogger<StockItemGrain> logger) : Grain, IStockItemGrain, IRemindable
{
    /// <summary>A changed low-stock threshold reaches an active item within this; it is a notification setting, not a rule.</summary>
    private static readonly TimeSpan ProfileRefresh = TimeSpan.FromSeconds(30);

    private const int MaxLedgerPage = 1_000;

    /// <summary>A flash sale leaves hundreds of thousands of movements; verification reads them in big pages.</summary>
    private const int ReplayPage = 10_000;

    private string _key = "";
    private string _sku = "";
    private string _locationId = "";
    private StockJournal _journal = null!;
    private LocationType? _locationType;
    private LocationInfo? _profile;
    private DateTimeOffset _profileReadAt;
    private bool _profileRefreshing;

    /// <summary>Events in the outbox not yet in the feed, oldest first: moved one batch at a time, so never out of order.</summary>
    private readonly List<OutboxEvent> _unpublished = [];
    private bool _publishing;
    private IGrainTimer? _expiryTimer;
    private (int OnHand, int Available)? _reported;

    /// <summary>What callers read: only what is durable, so a read never shows a change an append may still lose.</summary>
    private StockLevel _level = null!;

    /// <summary>The audited figures as of the last durable append; the live position may be ahead mid-append.</summary>
    private PositionFigures _committed;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        var at = _key.IndexOf('@', StringComparison.Ordinal);
        _sku = _key[..at];
        _locationId = _key[(at + 1)..];

        _journal = new StockJournal(_key, ledger, clock, options.Value);
        _journal.Committed += OnCommitted;
        _journal.Emitted += OnEmitted;
        _journal.Broken += ex =>
        {
            logger.LogError(ex, "Stock item {Key} could not reload its ledger; deactivating", _key);
            DeactivateOnIdle();
        };
        await Infrastructure.Guard(async () =>
        {
            await _journal.Load(cancellationToken);
            _level = LevelOf(_journal.Position);
            _committed = _journal.Position.Figures();

            if (_journal.Position.Sequence > 0)
            {
                await TryReadProfile();
                ReportAvailability(_journal.Position, force: true);
                if (_journal.Position.OpenHolds > 0)
                {
                    // Holds that lapsed while nothing was active are settled before the first read, and the
                    // sweep's row is made right whatever the activation that wrote it left there.
                    await _journal.SettleDue();
                    ScheduleExpiry();
                }
            }
        }, $"Activation of stock item {_key}");
    }

    public async Task SettleExpiredHolds()
    {
        await _journal.SettleDue();
        ScheduleExpiry();
    }

    public Task<StockLevel> GetLevel() => Task.FromResult(_level);

    public Task<StockLevel?> FindLevel()
    {
        if (_journal.Position.Sequence > 0)
        {
            return Task.FromResult<StockLevel?>(_level);
        }

        // Nothing was ever recorded here: a storefront probing random SKUs must not keep one activation per probe.
        DeactivateOnIdle();
        return Task.FromResult<StockLevel?>(null);
    }

    public async Task<StockCommandResult> ApplySnapshot(long sequence, int onHand, int? safetyStock, bool reset = false)
    {
        if (!await EnsureLocationKnown())
        {
            return new StockCommandResult(StockOutcome.UnknownLocation, _level, UnknownLocation());
        }

        var (outcome, last, lastOnHand, lastSafetyStock) = await _journal.Submit((p, now, m) =>
            (p.ApplySnapshot(sequence, onHand, safetyStock, now, m, reset), p.LastFeedSequence, p.LastFeedOnHand, p.LastFeedSafetyStock));
        return outcome switch
        {
            SnapshotOutcome.Applied => new(StockOutcome.Applied, _level, LastSequence: last),
            SnapshotOutcome.Duplicate => new(StockOutcome.Duplicate, _level, LastSequence: last),
            SnapshotOutcome.Conflict => new(StockOutcome.Conflict, _level,
                $"Sequence {sequence} was already applied with onHand {lastOnHand} and safetyStock {lastSafetyStock}.", last),
            SnapshotOutcome.TooFarAhead => new(StockOutcome.TooFarAhead, _level,
                $"Sequence {sequence} is more than {StockPosition.MaxFeedJump} past {last}, the last applied; a feed that renumbered sends reset: true.", last),
            _ => new(StockOutcome.Stale, _level, $"Sequence {sequence} is older than {last}, the last applied.", last),
        };
    }

    public async Task<StockCommandResult> ApplyAdjustment(string adjustmentId, int delta, string? reason)
    {
        if (!await EnsureLocationKnown())
        {
            return new StockCommandResult(StockOutcome.UnknownLocation, _level, UnknownLocation());
        }

        var (outcome, onHand, seen) = await _journal.Submit((p, now, m) =>
            (p.ApplyAdjustment(adjustmentId, delta, now, m), p.OnHand, p.AdjustmentDeltas?.GetValueOrDefault(adjustmentId)));
        return outcome switch
        {
            AdjustmentOutcome.Applied => new(StockOutcome.Applied, _level),
            AdjustmentOutcome.Duplicate => new(StockOutcome.Duplicate, _level),
            AdjustmentOutcome.Conflict => new(StockOutcome.Conflict, _level, $"Adjustment '{adjustmentId}' was already applied with a delta of {seen}."),
            AdjustmentOutcome.WouldExceedCeiling => new(StockOutcome.Rejected, _level,
                $"On hand is {onHand}; a delta of {delta} would take it above the ceiling of {StockPosition.MaxOnHand}."),
            _ => new(StockOutcome.Rejected, _level, $"On hand is {onHand}; a delta of {delta} would take it below zero."),
        };
    }

    public async Task<HoldResult> PlaceHold(string reservationId, int quantity, DateTimeOffset expiresAt, string? customerId = null)
    {
        if (!await EnsureLocationKnown())
        {
            return new HoldResult(HoldOutcome.UnknownLocation, 0, UnknownLocation());
        }

        var (decision, available, hold) = await _journal.Submit((p, now, m) =>
            (p.PlaceHold(reservationId, quantity, expiresAt, now, m, customerId), p.Available, p.Holds?.GetValueOrDefault(reservationId)));
        return decision switch
        {
            HoldDecision.Held => new(HoldOutcome.Held, available, ExpiresAt: hold?.ExpiresAt, PlacedAt: KnownTime(hold?.PlacedAt)),
            HoldDecision.AlreadyHeld => new(HoldOutcome.AlreadyHeld, available, ExpiresAt: hold?.ExpiresAt, PlacedAt: KnownTime(hold?.PlacedAt)),
            HoldDecision.Insufficient => new(HoldOutcome.Insufficient, available, $"Only {available} available."),
            HoldDecision.QuantityMismatch => new(HoldOutcome.Conflict, available, "The reservation already holds a different quantity here."),
            HoldDecision.CustomerMismatch => new(HoldOutcome.Conflict, available, "The hold is already placed here for another customer."),
            _ => new(HoldOutcome.Conflict, available, "The reservation was already released here."),
        };
    }

    public async Task<AllocationResult> SetAllocation(string allocationKey, int quantity, string? fromReservationId)
    {
        if (!await EnsureLocationKnown())
        {
            return new AllocationResult(AllocationOutcome.UnknownLocation, 0);
        }

        var (decision, available) = await _journal.Submit((p, now, m) => (p.SetAllocation(allocationKey, quantity, fromReservationId, now, m), p.Available));
        return decision switch
        {
            AllocationDecision.Applied or AllocationDecision.Unchanged => new(AllocationOutcome.Allocated, available),
            AllocationDecision.HoldMismatch => new(AllocationOutcome.HoldMismatch, available),
            _ => new(AllocationOutcome.Insufficient, available),
        };
    }

    public async Task<PhysicalMovementResult> RecordPhysical(string operationId, PhysicalMovement movement, string allocationKey, int quantity, bool reclaim = false)
    {
        if (!await EnsureLocationKnown())
        {
            return new PhysicalMovementResult(PhysicalMovementOutcome.UnknownLocation, _level);
        }

        var kind = movement switch
        {
            PhysicalMovement.Shipped => MovementKind.Shipped,
            PhysicalMovement.Collected => MovementKind.Collected,
            PhysicalMovement.WrittenOff => MovementKind.WrittenOff,
            PhysicalMovement.Quarantined => MovementKind.Quarantined,
            PhysicalMovement.Returned => MovementKind.Returned,
            PhysicalMovement.ReturnedDamaged => MovementKind.ReturnedDamaged,
            _ => MovementKind.TransferReceived,
        };
        var decision = await _journal.Submit((p, now, m) => p.ApplyFulfilment(operationId, kind, allocationKey, quantity, now, m, reclaim));
        return new PhysicalMovementResult(decision switch
        {
            FulfilmentMovementDecision.Applied => PhysicalMovementOutcome.Applied,
            FulfilmentMovementDecision.Duplicate => PhysicalMovementOutcome.Duplicate,
            FulfilmentMovementDecision.Conflict => PhysicalMovementOutcome.Conflict,
            FulfilmentMovementDecision.Insufficient => PhysicalMovementOutcome.Insufficient,
            _ => PhysicalMovementOutcome.WouldExceedCeiling,
        }, _level);
    }

    public Task ReleaseHold(string reservationId) =>
        _journal.Submit((p, now, m) => p.ReleaseHold(reservationId, now, m));

    public async Task<StockHoldView?> GetHold(string reference)
    {
        // Through the journal, so an open hold is reported only once its placement is durable.
        var open = await _journal.Submit((p, _, _) => p.Holds?.GetValueOrDefault(reference));
        if (open is not null)
        {
            return new StockHoldView(reference, HoldStatus.Held, open.Quantity, open.ExpiresAt, KnownTime(open.PlacedAt), null, open.CustomerId);
        }

        return HoldHistory.Describe(reference, await ledger.ReadReference(_key, reference));
    }

    public async Task<LedgerPage> GetLedger(long afterSequence, int limit)
    {
        limit = Math.Clamp(limit, 1, MaxLedgerPage);
        var movements = await ledger.Read(_key, Math.Max(0, afterSequence), limit);
        long? next = movements.Count == limit ? movements[^1].Sequence : null;
        return new LedgerPage(_sku, _locationId, [.. movements.Select(ToEntry)], next);
    }

    public async Task<LedgerVerification> Verify()
    {
        // Compare against a durable point: an append may be in flight, and the ledger only holds what committed.
        var live = _committed;
        var sequence = live.Sequence;
        var replayed = new StockPosition();
        long after = 0;
        while (after < sequence)
        {
            var page = await ledger.Read(_key, after, ReplayPage);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var movement in page.TakeWhile(m => m.Sequence <= sequence))
            {
                replayed.Apply(movement);
            }

            after = page[^1].Sequence;
        }

        var replayedFigures = replayed.Figures();
        var anomalies = replayed.Anomalies();
        return new LedgerVerification(
            _sku, _locationId, live == replayedFigures && anomalies.Count == 0, sequence, live.ToString(), replayedFigures.ToString(), anomalies);
    }

    /// <summary>
    /// Hold expiry no longer runs on a reminder (the sweep over <c>oms_hold_deadline</c> is on time across a silo's
    /// death, where a reminder is late by up to its period); one left registered by an earlier version settles
    /// what is due and unregisters itself.
    /// </summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        await SettleExpiredHolds();
        if (await this.GetReminder(reminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private static LedgerEntry ToEntry(StockMovement m) => new(
        m.Sequence, System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(m.Kind.ToString()), m.Quantity, m.Reference, m.At,
        m.ExpiresAt, m.SafetyStock, m.FeedSequence, m.Actor ?? ActorContext.System, m.Operation);

    /// <summary>Holds from snapshots older than the placement time was recorded carry none.</summary>
    private static DateTimeOffset? KnownTime(DateTimeOffset? at) => at == default(DateTimeOffset) ? null : at;

    private StockLevel LevelOf(StockPosition p) => new(_sku, _locationId, p.OnHand, p.SafetyStock, p.Reserved, p.Allocated, p.Available, p.Quarantined);

    private string UnknownLocation() => $"Location '{_locationId}' is not registered.";

    private async Task<bool> EnsureLocationKnown()
    {
        if (_locationType is not null)
        {
            return true;
        }

        UseProfile(await GrainFactory.GetGrain<ILocationGrain>(_locationId).Get());
        return _locationType is not null;
    }

    /// <summary>
    /// At activation the profile only tunes alerts and the availability report; a location grain that cannot answer
    /// now (its silo has just left, or a new silo is still joining) must not fail the activation, and with it every
    /// hold on this item. The first command that needs the location asks again (<see cref="EnsureLocationKnown"/>).
    /// </summary>
    private async Task TryReadProfile()
    {
        try
        {
            UseProfile(await GrainFactory.GetGrain<ILocationGrain>(_locationId).Get());
        }
        catch (Exception ex) when (Infrastructure.IsFault(ex))
        {
            logger.LogWarning(ex, "Stock item {Key} activated without its location's profile; the next command reads it", _key);
        }
    }

    private void UseProfile(LocationInfo? profile)
    {
        _profile = profile;
        _locationType = profile?.Type;
        _journal.LowStockThreshold = profile?.LowStockThreshold ?? 0;
        _profileReadAt = clock.GetUtcNow();
    }

    /// <summary>Off the append path: the threshold in force is the one last read, and the next append uses the new one.</summary>
    private async Task RefreshProfile()
    {
        _profileRefreshing = true;
        try
        {
            if (await GrainFactory.GetGrain<ILocationGrain>(_locationId).Get() is { } profile)
            {
                UseProfile(profile);
            }
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Stock item {Key} could not refresh its location's profile; it keeps the last one", _key);
        }
        finally
        {
            _profileRefreshing = false;
        }
    }

    private void OnEmitted(IReadOnlyList<OutboxEvent> events)
    {
        _unpublished.AddRange(events);
        if (!_publishing)
        {
            _publishing = true;
            _ = Publish();
        }
    }

    /// <summary>
    /// Hands the outbox to the feed. A failure leaves the events where the append put them: the relay moves them
    /// from <c>oms_outbox</c>, and this item retries with its next event, in order either way.
    /// </summary>
    private async Task Publish()
    {
        try
        {
            while (_unpublished.Count > 0)
            {
                var batch = _unpublished.ToList();
                await publisher.Publish(batch);
                _unpublished.RemoveRange(0, batch.Count);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Stock item {Key}: {Count} events wait in the outbox for the relay", _key, _unpublished.Count);
        }
        finally
        {
            _publishing = false;
        }
    }

    private void OnCommitted(StockPosition position)
    {
        _level = LevelOf(position);
        _committed = position.Figures();
        ReportAvailability(position, force: false);
        ScheduleExpiry();
        if (!_profileRefreshing && clock.GetUtcNow() - _profileReadAt > ProfileRefresh)
        {
            _ = RefreshProfile();
        }
    }

    /// <summary>Feeds the two views built from stock items: the SKU's network view and the location's own index.</summary>
    private void ReportAvailability(StockPosition position, bool force)
    {
        var reported = (position.OnHand, position.Available);
        if ((!force && _reported == reported) || _locationType is not { } type)
        {
            return;
        }

        if (force || _reported?.Available != reported.Available)
        {
            var online = _profile?.OnlineAvailable(_sku, reported.Available, LocationCapability.ShipToCustomer) ?? 0;
            GrainFactory.GetGrain<ISkuAvailabilityGrain>(_sku).Report(_locationId, type, reported.Available, position.Sequence, online).Ignore();
        }

        _reported = reported;
        GrainFactory.GetGrain<ILocationGrain>(_locationId).ReportStock(_sku, reported.OnHand, reported.Available, position.Sequence).Ignore();
    }

    /// <summary>
    /// A grain timer releases holds on time while the item is active. When it is not (deactivated, or its silo
    /// died), every silo's <see cref="HoldExpirySweep"/> finds the item through the deadline its appends record.
    /// </summary>
    private void ScheduleExpiry()
    {
        if (_journal.Position.NextExpiry is not { } next)
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
                _ => _journal.Submit((_, _, _) => true),
                new GrainTimerCreationOptions(timerDue, Timeout.InfiniteTimeSpan) { KeepAlive = false, Interleave = true });
        }
        else
        {
            _expiryTimer.Change(timerDue, Timeout.InfiniteTimeSpan);
        }
    }
}
