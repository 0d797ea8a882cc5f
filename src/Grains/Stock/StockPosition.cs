using System.Text.Json.Serialization;

namespace Oms.Grains.Stock;

/// <param name="PlacedAt">Absent (default) in snapshots taken before it was recorded.</param>
/// <param name="CustomerId">The customer the hold is for, when the caller said; only that customer's order may use it.</param>
public sealed record StockHold(int Quantity, DateTimeOffset ExpiresAt, DateTimeOffset PlacedAt = default, string? CustomerId = null);

public readonly record struct PositionFigures(int OnHand, int SafetyStock, int Reserved, int Allocated, int OpenHolds, long Sequence, int Quarantined = 0)
{
    public override string ToString() =>
        $"onHand={OnHand} safetyStock={SafetyStock} reserved={Reserved} allocated={Allocated} openHolds={OpenHolds} sequence={Sequence}"
        + (Quarantined > 0 ? $" quarantined={Quarantined}" : "");
}

/// <summary>An operation id's first use: when, and what it did, so its reuse for something else is told from a retry.</summary>
public sealed record AppliedOperation(DateTimeOffset At, string Fingerprint);

public enum SnapshotOutcome
{
    Applied,
    Duplicate,
    Stale,
    /// <summary>The last applied sequence again, with other figures: one of the two messages is wrong.</summary>
    Conflict,
    /// <summary>Further past the last applied sequence than <see cref="StockPosition.MaxFeedJump"/>.</summary>
    TooFarAhead,
}

public enum AdjustmentOutcome
{
    Applied,
    Duplicate,
    WouldGoNegative,
    WouldExceedCeiling,
    /// <summary>The adjustment id was already applied with another delta.</summary>
    Conflict,
}

public enum HoldDecision { Held, AlreadyHeld, Insufficient, QuantityMismatch, AlreadyReleased, CustomerMismatch }

public enum AllocationDecision { Applied, Unchanged, Insufficient, HoldMismatch }

public enum FulfilmentMovementDecision
{
    Applied,
    /// <summary>The operation id was already applied with the same movement: a retried report.</summary>
    Duplicate,
    /// <summary>The operation id was already applied with another movement.</summary>
    Conflict,
    /// <summary>The order line has fewer units allocated here than the movement takes.</summary>
    Insufficient,
    /// <summary>On hand would pass <see cref="StockPosition.MaxOnHand"/>.</summary>
    WouldExceedCeiling,
}

/// <summary>
/// The position of one SKU at one location and every open hold against it. Pure domain: no Orleans, no I/O.
/// </summary>
/// <remarks>
/// Every change is a <see cref="StockMovement"/>: the deciding methods check the rules, then build a movement
/// and pass it to <see cref="Apply"/>, the only place state changes. So the position is by construction the
/// fold of its ledger, and replaying the ledger from empty gives it back exactly.
/// Collections are created on first use because most of a large catalogue never sees a hold, and a million
/// positions in memory should not carry three million empty dictionaries.
/// </remarks>
public sealed class StockPosition
{
    /// <summary>The most units one position may have on hand, or keep as safety stock: far beyond any real shelf,
    /// and small enough that no sum of positions or deltas can overflow an int.</summary>
    public const int MaxOnHand = 1_000_000;

    /// <summary>Feed sequences are counters in 0..10^15: a millisecond clock fits for thirty thousand years.</summary>
    public const long MaxFeedSequence = 1_000_000_000_000_000;

    /// <summary>
    /// How far past the last applied sequence a snapshot may jump. Without a bound, one corrupt or mistyped
    /// sequence near the top of the range would make every later snapshot stale for good.
    /// </summary>
    public const long MaxFeedJump = 1_000_000;

    private SortedSet<(DateTimeOffset ExpiresAt, string ReservationId)>? _expiryIndex;

    public int OnHand { get; set; }
    public int SafetyStock { get; set; }
    public int Reserved { get; set; }
    public int Allocated { get; set; }

    /// <summary>Units on hand that may not be sold (found damaged); counted against availability like an allocation.</summary>
    public int Quarantined { get; set; }

    /// <summary>Physical events applied (shipments, receipts, collections, write-offs), by id; bounded by the idempotency window.</summary>
    public Dictionary<string, AppliedOperation>? Operations { get; set; }

    /// <summary>The last feed sequence applied; snapshots at or below it are replays or stale.</summary>
    public long LastFeedSequence { get; set; }

    /// <summary>
    /// The on hand and safety stock that <see cref="LastFeedSequence"/> carried, so a resent message is told apart
    /// from a different one under the same sequence. Null in snapshots taken before they were recorded.
    /// </summary>
    public int? LastFeedOnHand { get; set; }

    public int? LastFeedSafetyStock { get; set; }

    /// <summary>The sequence of the last movement applied; also orders updates sent to observers.</summary>
    public long Sequence { get; set; }

    public Dictionary<string, StockHold>? Holds { get; set; }

    /// <summary>
    /// Released reservation ids, kept until the hold would have expired: a late or retried placement for a
    /// reservation that was already rolled back must not resurrect its hold.
    /// </summary>
    public Dictionary<string, DateTimeOffset>? ReleasedHolds { get; set; }

    /// <summary>Units committed to each order line ("order:line"), so allocating is a set, not an add, and retries are harmless.</summary>
    public Dictionary<string, int>? Allocations { get; set; }

    /// <summary>Adjustment ids seen, with when; bounded by the idempotency window.</summary>
    public Dictionary<string, DateTimeOffset>? AppliedAdjustments { get; set; }

    /// <summary>
    /// The delta each id in <see cref="AppliedAdjustments"/> carried, pruned with it, so reusing an id for another
    /// delta is refused rather than taken for a retry. Kept apart rather than widening the value of
    /// <see cref="AppliedAdjustments"/>, so snapshots written before and after read both ways.
    /// </summary>
    public Dictionary<string, int>? AdjustmentDeltas { get; set; }

    [JsonIgnore]
    public int Available => Math.Max(0, OnHand - SafetyStock - Reserved - Allocated - Quarantined);

    [JsonIgnore]
    public int OpenHolds => Holds?.Count ?? 0;

    /// <summary>Checks the holds first, so an item that never had one never builds the index.</summary>
    [JsonIgnore]
    public DateTimeOffset? NextExpiry => Holds is not { Count: > 0 } ? null : ExpiryIndex.Min.ExpiresAt;

    /// <summary>Holds ordered by expiry, so placing a hold never walks every open hold to find expired ones.</summary>
    private SortedSet<(DateTimeOffset ExpiresAt, string ReservationId)> ExpiryIndex =>
        _expiryIndex ??= new SortedSet<(DateTimeOffset, string)>((Holds ?? []).Select(h => (h.Value.ExpiresAt, h.Key)));

    /// <param name="reset">
    /// The feed restarted its numbering: applied whatever its sequence, backwards included, and recorded as a
    /// <see cref="MovementKind.SnapshotReset"/>. Only a resend of the last applied message is a duplicate.
    /// </param>
    public SnapshotOutcome ApplySnapshot(
        long feedSequence, int onHand, int? safetyStock, DateTimeOffset now, ICollection<StockMovement> movements, bool reset = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(onHand);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(onHand, MaxOnHand);
        if (safetyStock is < 0 or > MaxOnHand)
        {
            throw new ArgumentOutOfRangeException(nameof(safetyStock));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(feedSequence);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(feedSequence, MaxFeedSequence);

        if (feedSequence == LastFeedSequence && feedSequence != 0)
        {
            var resent = LastFeedOnHand is null ||
                (onHand == LastFeedOnHand && (safetyStock is null || safetyStock == LastFeedSafetyStock));
            if (resent)
            {
                return SnapshotOutcome.Duplicate;
            }

            if (!reset)
            {
                return SnapshotOutcome.Conflict;
            }
        }
        else if (!reset && feedSequence < LastFeedSequence)
        {
            return SnapshotOutcome.Stale;
        }
        else if (!reset && LastFeedSequence > 0 && feedSequence - LastFeedSequence > MaxFeedJump)
        {
            return SnapshotOutcome.TooFarAhead;
        }

        Record(new StockMovement(Sequence + 1, reset ? MovementKind.SnapshotReset : MovementKind.SnapshotApplied, onHand,
            $"feed:{feedSequence}", now, SafetyStock: safetyStock ?? SafetyStock, FeedSequence: feedSequence), movements);
        return SnapshotOutcome.Applied;
    }

    public AdjustmentOutcome ApplyAdjustment(string adjustmentId, int delta, DateTimeOffset now, ICollection<StockMovement> movements)
    {
        if (AppliedAdjustments?.ContainsKey(adjustmentId) == true)
        {
            // An id remembered from before deltas were recorded can only be taken for a retry.
            return AdjustmentDeltas?.TryGetValue(adjustmentId, out var seen) != true || seen == delta
                ? AdjustmentOutcome.Duplicate
                : AdjustmentOutcome.Conflict;
        }

        // A negative on hand would hide a counting error behind a silently clamped ATP; refuse it so the
        // feed that sent it is corrected instead.
        if ((long)OnHand + delta < 0)
        {
            return AdjustmentOutcome.WouldGoNegative;
        }

        if ((long)OnHand + delta > MaxOnHand)
        {
            return AdjustmentOutcome.WouldExceedCeiling;
        }

        Record(new StockMovement(Sequence + 1, MovementKind.Adjusted, delta, adjustmentId, now), movements);
        return AdjustmentOutcome.Applied;
    }

    public HoldDecision PlaceHold(
        string reservationId, int quantity, DateTimeOffset expiresAt, DateTimeOffset now, ICollection<StockMovement> movements, string? customerId = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quantity);
        ExpireHolds(now, movements);

        if (Holds?.TryGetValue(reservationId, out var existing) == true)
        {
            return existing.Quantity != quantity ? HoldDecision.QuantityMismatch
                : existing.CustomerId != customerId ? HoldDecision.CustomerMismatch
                : HoldDecision.AlreadyHeld;
        }

        if (ReleasedHolds?.ContainsKey(reservationId) == true)
        {
            return HoldDecision.AlreadyReleased;
        }

        if (expiresAt <= now || quantity > Available)
        {
            return HoldDecision.Insufficient;
        }

        Record(new StockMovement(Sequence + 1, MovementKind.HoldPlaced, quantity, reservationId, now, ExpiresAt: expiresAt, CustomerId: customerId), movements);
        return HoldDecision.Held;
    }

    /// <returns>true when a hold was open and is now released.</returns>
    public bool ReleaseHold(string reservationId, DateTimeOffset now, ICollection<StockMovement> movements)
    {
        if (Holds?.TryGetValue(reservationId, out var hold) != true)
        {
            return false;
        }

        Record(new StockMovement(Sequence + 1, MovementKind.HoldReleased, hold!.Quantity, reservationId, now), movements);
        return true;
    }

    /// <summary>
    /// Sets an order line's allocation here to <paramref name="quantity"/>: up from nothing at checkout, down on a
    /// cancellation, to zero on a roll-back. A set is idempotent, so a retried or replayed call changes nothing.
    /// When <paramref name="fromHold"/> names an open hold of the same quantity, that hold becomes the allocation:
    /// the units the shopper held are the units the order gets, whatever else is happening on the item.
    /// </summary>
    public AllocationDecision SetAllocation(string allocationKey, int quantity, string? fromHold, DateTimeOffset now, ICollection<StockMovement> movements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(quantity);
        ExpireHolds(now, movements);
        var current = Allocations?.GetValueOrDefault(allocationKey) ?? 0;
        if (quantity == current)
        {
            return AllocationDecision.Unchanged;
        }

        if (quantity < current)
        {
            Record(new StockMovement(Sequence + 1, MovementKind.AllocationCancelled, current - quantity, allocationKey, now), movements);
            return AllocationDecision.Applied;
        }

        var more = quantity - current;
        if (fromHold is not null && Holds?.TryGetValue(fromHold, out var hold) == true)
        {
            if (hold.Quantity != more)
            {
                return AllocationDecision.HoldMismatch;
            }

            Record(new StockMovement(Sequence + 1, MovementKind.HoldAllocated, hold.Quantity, fromHold, now), movements);
        }
        else if (more > Available)
        {
            return AllocationDecision.Insufficient;
        }

        Record(new StockMovement(Sequence + 1, MovementKind.Allocated, more, allocationKey, now), movements);
        return AllocationDecision.Applied;
    }

    /// <summary>
    /// Records what physically happened to an order line's allocated units here: shipped, collected, written off,
    /// quarantined (each taking units out of the allocation), a transfer received (adding units, still
    /// allocated to the line), or a customer's return received (adding units to no one: sellable, or quarantined
    /// when damaged; the key is then the return's). Idempotent per <paramref name="operationId"/>, so a retried report moves nothing twice.
    /// </summary>
    /// <param name="reclaim">The units were released by a cancellation the physical world overtook (the parcel
    /// left anyway): what the allocation lacks is allocated again from what is available, in the same append.</param>
    public FulfilmentMovementDecision ApplyFulfilment(
        string operationId, MovementKind kind, string allocationKey, int quantity, DateTimeOffset now, ICollection<StockMovement> movements,
        bool reclaim = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quantity);
        if (kind is not (MovementKind.Shipped or MovementKind.Collected or MovementKind.WrittenOff or MovementKind.Quarantined
            or MovementKind.TransferReceived or MovementKind.Returned or MovementKind.ReturnedDamaged))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a fulfilment movement");
        }

        var fingerprint = Fingerprint(kind, allocationKey, quantity);
        if (Operations?.TryGetValue(operationId, out var seen) == true)
        {
            return seen.Fingerprint == fingerprint ? FulfilmentMovementDecision.Duplicate : FulfilmentMovementDecision.Conflict;
        }

        ExpireHolds(now, movements);
        if (kind is MovementKind.TransferReceived or MovementKind.Returned or MovementKind.ReturnedDamaged)
        {
            if ((long)OnHand + quantity > MaxOnHand)
            {
                return FulfilmentMovementDecision.WouldExceedCeiling;
            }
        }
        else if ((Allocations?.GetValueOrDefault(allocationKey) ?? 0) is var held && held < quantity)
        {
            if (!reclaim || quantity - held > Available)
            {
                return FulfilmentMovementDecision.Insufficient;
            }

            Record(new StockMovement(Sequence + 1, MovementKind.Allocated, quantity - held, allocationKey, now), movements);
        }

        Record(new StockMovement(Sequence + 1, kind, quantity, allocationKey, now, Operation: operationId), movements);
        return FulfilmentMovementDecision.Applied;
    }

    private static string Fingerprint(MovementKind kind, string allocationKey, int quantity) => $"{kind}:{allocationKey}:{quantity}";

    /// <returns>How many holds expired.</returns>
    public int ExpireHolds(DateTimeOffset now, ICollection<StockMovement> movements)
    {
        var expired = 0;
        while (Holds is { Count: > 0 } && ExpiryIndex.Min.ExpiresAt <= now)
        {
            var (_, id) = ExpiryIndex.Min;
            Record(new StockMovement(Sequence + 1, MovementKind.HoldExpired, Holds![id].Quantity, id, now), movements);
            expired++;
        }

        return expired;
    }

    /// <summary>
    /// The one place state changes. Deterministic in the movement alone (never the clock), so a replay of the
    /// ledger reproduces the position, idempotency records included.
    /// </summary>
    public void Apply(StockMovement movement)
    {
        if (movement.Sequence != Sequence + 1)
        {
            throw new InvalidOperationException($"Movement {movement.Sequence} does not follow {Sequence}.");
        }

        switch (movement.Kind)
        {
            case MovementKind.SnapshotApplied or MovementKind.SnapshotReset:
                OnHand = movement.Quantity;
                SafetyStock = movement.SafetyStock ?? SafetyStock;
                LastFeedSequence = movement.FeedSequence ?? LastFeedSequence;
                LastFeedOnHand = movement.Quantity;
                LastFeedSafetyStock = SafetyStock;
                break;
            case MovementKind.Adjusted:
                OnHand += movement.Quantity;
                (AppliedAdjustments ??= new(StringComparer.Ordinal))[movement.Reference] = movement.At;
                (AdjustmentDeltas ??= new(StringComparer.Ordinal))[movement.Reference] = movement.Quantity;
                break;
            case MovementKind.HoldPlaced:
                var hold = new StockHold(movement.Quantity, movement.ExpiresAt!.Value, movement.At, movement.CustomerId);
                (Holds ??= new(StringComparer.Ordinal))[movement.Reference] = hold;
                ExpiryIndex.Add((hold.ExpiresAt, movement.Reference));
                Reserved += movement.Quantity;
                break;
            case MovementKind.HoldReleased or MovementKind.HoldExpired or MovementKind.HoldAllocated:
                var released = Holds![movement.Reference];
                Holds.Remove(movement.Reference);
                ExpiryIndex.Remove((released.ExpiresAt, movement.Reference));
                Reserved -= released.Quantity;
                // Remember the id at least until the hold would have expired, so a late placement cannot slip in.
                (ReleasedHolds ??= new(StringComparer.Ordinal))[movement.Reference] =
                    released.ExpiresAt > movement.At ? released.ExpiresAt : movement.At;
                break;
            case MovementKind.Allocated:
                Allocated += movement.Quantity;
                AddAllocation(movement.Reference, movement.Quantity);
                break;
            case MovementKind.AllocationCancelled:
                Allocated -= movement.Quantity;
                AddAllocation(movement.Reference, -movement.Quantity);
                break;
            case MovementKind.Shipped or MovementKind.Collected or MovementKind.WrittenOff:
                Allocated -= movement.Quantity;
                OnHand -= movement.Quantity;
                AddAllocation(movement.Reference, -movement.Quantity);
                break;
            case MovementKind.Quarantined:
                Allocated -= movement.Quantity;
                Quarantined += movement.Quantity;
                AddAllocation(movement.Reference, -movement.Quantity);
                break;
            case MovementKind.TransferReceived:
                OnHand += movement.Quantity;
                Allocated += movement.Quantity;
                AddAllocation(movement.Reference, movement.Quantity);
                break;
            case MovementKind.Restocked or MovementKind.Returned:
                OnHand += movement.Quantity;
                break;
            case MovementKind.ReturnedDamaged:
                OnHand += movement.Quantity;
                Quarantined += movement.Quantity;
                break;
            default:
                throw new InvalidOperationException($"Unknown movement kind {movement.Kind}.");
        }

        if (movement.Operation is { } operation)
        {
            (Operations ??= new(StringComparer.Ordinal))[operation] =
                new AppliedOperation(movement.At, Fingerprint(movement.Kind, movement.Reference, movement.Quantity));
        }

        Sequence = movement.Sequence;
    }

    /// <summary>Forgets idempotency records past their window, so state stays bounded on a busy item.</summary>
    /// <remarks>Not a movement: it changes no quantity, only how far back duplicates are recognised.</remarks>
    public void Prune(DateTimeOffset now, TimeSpan idempotencyWindow)
    {
        if (ReleasedHolds is not null)
        {
            foreach (var (id, until) in ReleasedHolds)
            {
                if (until < now)
                {
                    ReleasedHolds.Remove(id);
                }
            }
        }

        if (AppliedAdjustments is not null)
        {
            var oldest = now - idempotencyWindow;
            foreach (var (id, at) in AppliedAdjustments)
            {
                if (at < oldest)
                {
                    AppliedAdjustments.Remove(id);
                    AdjustmentDeltas?.Remove(id);
                }
            }
        }

        if (Operations is not null)
        {
            var oldest = now - idempotencyWindow;
            foreach (var (id, applied) in Operations)
            {
                if (applied.At < oldest)
                {
                    Operations.Remove(id);
                }
            }
        }
    }

    /// <summary>Rebuilds a position by replaying movements from empty: what an auditor does.</summary>
    public static StockPosition Replay(IEnumerable<StockMovement> movements, StockPosition? from = null)
    {
        var position = from ?? new StockPosition();
        foreach (var movement in movements)
        {
            position.Apply(movement);
        }

        return position;
    }

    /// <summary>The figures an auditor compares; idempotency memory is deliberately not part of them.</summary>
    public PositionFigures Figures() => new(OnHand, SafetyStock, Reserved, Allocated, OpenHolds, Sequence, Quarantined);

    public string Describe() => Figures().ToString();

    /// <summary>
    /// What no sequence of accepted commands can produce. A fold of a corrupt or tampered ledger is still its fold,
    /// so verifying compares figures and also asks whether they could be true at all.
    /// </summary>
    public IReadOnlyList<string> Anomalies()
    {
        var found = new List<string>();
        if (OnHand is < 0 or > MaxOnHand)
        {
            found.Add($"onHand {OnHand} is outside 0..{MaxOnHand}");
        }

        if (SafetyStock is < 0 or > MaxOnHand)
        {
            found.Add($"safetyStock {SafetyStock} is outside 0..{MaxOnHand}");
        }

        var held = Holds?.Values.Sum(h => (long)h.Quantity) ?? 0;
        if (Reserved < 0 || Reserved != held)
        {
            found.Add($"reserved {Reserved} is not the {held} units of its open holds");
        }

        var allocated = Allocations?.Values.Sum(a => (long)a) ?? 0;
        if (Allocated < 0 || Allocated != allocated || Allocations?.Values.Any(a => a < 0) == true)
        {
            found.Add($"allocated {Allocated} is not the {allocated} units of its order lines, each zero or more");
        }

        if (Quarantined is < 0 or > MaxOnHand)
        {
            found.Add($"quarantined {Quarantined} is outside 0..{MaxOnHand}");
        }

        if (LastFeedSequence is < 0 or > MaxFeedSequence)
        {
            found.Add($"feed sequence {LastFeedSequence} is outside 0..{MaxFeedSequence}");
        }

        return found;
    }

    private void AddAllocation(string key, int delta)
    {
        var allocations = Allocations ??= new(StringComparer.Ordinal);
        var next = allocations.GetValueOrDefault(key) + delta;
        if (next == 0)
        {
            allocations.Remove(key);
        }
        else
        {
            allocations[key] = next;
        }
    }

    private void Record(StockMovement movement, ICollection<StockMovement> movements)
    {
        Apply(movement);
        movements.Add(movement);
    }
}
