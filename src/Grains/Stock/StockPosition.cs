using System.Text.Json.Serialization;

namespace Oms.Grains.Stock;

public sealed record StockHold(int Quantity, DateTimeOffset ExpiresAt);

public enum SnapshotOutcome { Applied, Duplicate, Stale }

public enum AdjustmentOutcome { Applied, Duplicate, WouldGoNegative }

public enum HoldDecision { Held, AlreadyHeld, Insufficient, QuantityMismatch, AlreadyReleased }

/// <summary>
/// The position of one SKU at one location and every open hold against it. Pure domain: no Orleans, no I/O,
/// so the rules that keep stock right to the unit are tested on their own.
/// </summary>
/// <remarks>
/// It is also the persisted shape (JSON), so members are plain properties. <see cref="Reserved"/> is kept
/// as a running total rather than summed, because ATP is read on every storefront call and holds can number
/// in the thousands during a drop.
/// </remarks>
public sealed class StockPosition
{
    public int OnHand { get; set; }
    public int SafetyStock { get; set; }
    public int Reserved { get; set; }
    public int Allocated { get; set; }

    /// <summary>The last feed sequence applied; snapshots at or below it are replays or stale.</summary>
    public long LastFeedSequence { get; set; }

    /// <summary>Bumped on every change, so observers can order updates that travel out of order.</summary>
    public long Version { get; set; }

    public Dictionary<string, StockHold> Holds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Released reservation ids, kept until the hold would have expired: a late or retried placement for a
    /// reservation that was already rolled back must not resurrect its hold.
    /// </summary>
    public Dictionary<string, DateTimeOffset> ReleasedHolds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Adjustment ids seen, with when; bounded by the idempotency window.</summary>
    public Dictionary<string, DateTimeOffset> AppliedAdjustments { get; set; } = new(StringComparer.Ordinal);

    [JsonIgnore]
    public int Available => Math.Max(0, OnHand - SafetyStock - Reserved - Allocated);

    [JsonIgnore]
    public DateTimeOffset? NextExpiry
    {
        get
        {
            DateTimeOffset? next = null;
            foreach (var hold in Holds.Values)
            {
                if (next is null || hold.ExpiresAt < next)
                {
                    next = hold.ExpiresAt;
                }
            }

            return next;
        }
    }

    public SnapshotOutcome ApplySnapshot(long sequence, int onHand, int? safetyStock)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(onHand);
        if (safetyStock is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(safetyStock));
        }

        if (sequence < LastFeedSequence)
        {
            return SnapshotOutcome.Stale;
        }

        if (sequence == LastFeedSequence && sequence != 0)
        {
            return SnapshotOutcome.Duplicate;
        }

        LastFeedSequence = sequence;
        OnHand = onHand;
        SafetyStock = safetyStock ?? SafetyStock;
        Version++;
        return SnapshotOutcome.Applied;
    }

    public AdjustmentOutcome ApplyAdjustment(string adjustmentId, int delta, DateTimeOffset now)
    {
        if (AppliedAdjustments.ContainsKey(adjustmentId))
        {
            return AdjustmentOutcome.Duplicate;
        }

        // A negative on hand would hide a counting error behind a silently clamped ATP; refuse it so the
        // feed that sent it is corrected instead.
        if ((long)OnHand + delta < 0)
        {
            return AdjustmentOutcome.WouldGoNegative;
        }

        OnHand += delta;
        AppliedAdjustments[adjustmentId] = now;
        Version++;
        return AdjustmentOutcome.Applied;
    }

    public HoldDecision PlaceHold(string reservationId, int quantity, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quantity);
        ExpireHolds(now);

        if (Holds.TryGetValue(reservationId, out var existing))
        {
            return existing.Quantity == quantity ? HoldDecision.AlreadyHeld : HoldDecision.QuantityMismatch;
        }

        if (ReleasedHolds.ContainsKey(reservationId))
        {
            return HoldDecision.AlreadyReleased;
        }

        if (expiresAt <= now || quantity > Available)
        {
            return HoldDecision.Insufficient;
        }

        Holds[reservationId] = new StockHold(quantity, expiresAt);
        Reserved += quantity;
        Version++;
        return HoldDecision.Held;
    }

    /// <returns>true when a hold was open and is now released.</returns>
    public bool ReleaseHold(string reservationId, DateTimeOffset now)
    {
        if (!Holds.Remove(reservationId, out var hold))
        {
            return false;
        }

        Reserved -= hold.Quantity;
        // Remember the id at least a little past now, so a placement racing the release cannot slip in.
        ReleasedHolds[reservationId] = hold.ExpiresAt > now ? hold.ExpiresAt : now;
        Version++;
        return true;
    }

    /// <returns>The reservation ids whose holds expired.</returns>
    public IReadOnlyList<string> ExpireHolds(DateTimeOffset now)
    {
        List<string>? expired = null;
        foreach (var (id, hold) in Holds)
        {
            if (hold.ExpiresAt <= now)
            {
                (expired ??= []).Add(id);
            }
        }

        if (expired is null)
        {
            return [];
        }

        foreach (var id in expired)
        {
            ReleaseHold(id, now);
        }

        return expired;
    }

    /// <summary>Forgets idempotency records past their window, so state stays bounded on a busy item.</summary>
    /// <returns>true when anything was forgotten.</returns>
    public bool Prune(DateTimeOffset now, TimeSpan idempotencyWindow)
    {
        var pruned = false;
        foreach (var (id, until) in ReleasedHolds)
        {
            if (until < now)
            {
                pruned |= ReleasedHolds.Remove(id);
            }
        }

        var oldest = now - idempotencyWindow;
        foreach (var (id, at) in AppliedAdjustments)
        {
            if (at < oldest)
            {
                pruned |= AppliedAdjustments.Remove(id);
            }
        }

        return pruned;
    }

    public StockPosition Clone() => new()
    {
        OnHand = OnHand,
        SafetyStock = SafetyStock,
        Reserved = Reserved,
        Allocated = Allocated,
        LastFeedSequence = LastFeedSequence,
        Version = Version,
        Holds = new(Holds, StringComparer.Ordinal),
        ReleasedHolds = new(ReleasedHolds, StringComparer.Ordinal),
        AppliedAdjustments = new(AppliedAdjustments, StringComparer.Ordinal),
    };
}
