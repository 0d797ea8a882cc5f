using Oms.Contracts.Stock;
using Oms.Grains.Stock;

namespace Oms.Tests.Stock;

public sealed class StockPositionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private readonly List<StockMovement> _moves = [];

    private StockPosition WithOnHand(int onHand, int safetyStock = 0)
    {
        var position = new StockPosition();
        position.ApplySnapshot(1, onHand, safetyStock, Now, _moves);
        return position;
    }

    [Theory]
    [InlineData(10, 0, 0, 0, 10)]
    [InlineData(10, 2, 3, 0, 5)]
    [InlineData(10, 2, 3, 4, 1)]
    [InlineData(3, 2, 3, 0, 0)]
    [InlineData(0, 5, 0, 0, 0)]
    public void Atp_is_on_hand_less_safety_stock_reserved_and_allocated_never_below_zero(int onHand, int safety, int reserved, int allocated, int expected)
    {
        var position = new StockPosition { OnHand = onHand, SafetyStock = safety, Reserved = reserved, Allocated = allocated };
        Assert.Equal(expected, position.Available);
    }

    [Fact]
    public void A_hold_for_a_customer_keeps_them_through_replay_and_refuses_a_replay_for_another()
    {
        var position = WithOnHand(5);
        var expires = Now.AddMinutes(5);

        Assert.Equal(HoldDecision.Held, position.PlaceHold("R1", 2, expires, Now, _moves, customerId: "C-1"));
        Assert.Equal(HoldDecision.AlreadyHeld, position.PlaceHold("R1", 2, expires, Now, _moves, customerId: "C-1"));
        Assert.Equal(HoldDecision.CustomerMismatch, position.PlaceHold("R1", 2, expires, Now, _moves, customerId: "C-2"));
        Assert.Equal(HoldDecision.CustomerMismatch, position.PlaceHold("R1", 2, expires, Now, _moves));

        var replayed = StockPosition.Replay(_moves);
        Assert.Equal("C-1", replayed.Holds!["R1"].CustomerId);
        Assert.Equal(position.Figures(), replayed.Figures());
    }

    [Fact]
    public void A_hold_reduces_atp_and_is_idempotent_per_reservation()
    {
        var position = WithOnHand(5);
        var expires = Now.AddMinutes(5);

        Assert.Equal(HoldDecision.Held, position.PlaceHold("R1", 2, expires, Now, _moves));
        Assert.Equal(HoldDecision.AlreadyHeld, position.PlaceHold("R1", 2, expires, Now, _moves));
        Assert.Equal(HoldDecision.QuantityMismatch, position.PlaceHold("R1", 3, expires, Now, _moves));

        Assert.Equal(2, position.Reserved);
        Assert.Equal(3, position.Available);
        Assert.Equal([MovementKind.SnapshotApplied, MovementKind.HoldPlaced], _moves.Select(m => m.Kind));
    }

    [Fact]
    public void A_hold_beyond_atp_is_refused_and_records_nothing()
    {
        var position = WithOnHand(5, safetyStock: 2);
        var sequence = position.Sequence;

        Assert.Equal(HoldDecision.Insufficient, position.PlaceHold("R1", 4, Now.AddMinutes(5), Now, _moves));

        Assert.Equal(0, position.Reserved);
        Assert.Equal(sequence, position.Sequence);
        Assert.Single(_moves);
        Assert.Equal(HoldDecision.Held, position.PlaceHold("R2", 3, Now.AddMinutes(5), Now, _moves));
    }

    [Fact]
    public void Release_is_idempotent_and_a_released_reservation_cannot_hold_again()
    {
        var position = WithOnHand(5);
        position.PlaceHold("R1", 2, Now.AddMinutes(5), Now, _moves);

        Assert.True(position.ReleaseHold("R1", Now, _moves));
        Assert.False(position.ReleaseHold("R1", Now, _moves));
        Assert.Equal(0, position.Reserved);
        Assert.Equal(HoldDecision.AlreadyReleased, position.PlaceHold("R1", 2, Now.AddMinutes(5), Now, _moves));
    }

    [Fact]
    public void Holds_expire_at_their_ttl_and_not_before()
    {
        var position = WithOnHand(5);
        position.PlaceHold("R1", 2, Now.AddSeconds(30), Now, _moves);
        position.PlaceHold("R2", 1, Now.AddSeconds(60), Now, _moves);

        Assert.Equal(0, position.ExpireHolds(Now.AddSeconds(29), _moves));
        Assert.Equal(1, position.ExpireHolds(Now.AddSeconds(30), _moves));
        Assert.Equal(("R1", MovementKind.HoldExpired), (_moves[^1].Reference, _moves[^1].Kind));
        Assert.Equal(1, position.Reserved);
        Assert.Equal(Now.AddSeconds(60), position.NextExpiry);
    }

    [Fact]
    public void Placing_a_hold_first_frees_expired_ones()
    {
        var position = WithOnHand(2);
        position.PlaceHold("R1", 2, Now.AddSeconds(10), Now, _moves);

        Assert.Equal(HoldDecision.Held, position.PlaceHold("R2", 2, Now.AddMinutes(5), Now.AddSeconds(11), _moves));
        Assert.Equal(2, position.Reserved);
    }

    [Fact]
    public void A_snapshot_older_than_the_last_applied_is_stale_and_a_replay_is_a_duplicate()
    {
        var position = new StockPosition();

        Assert.Equal(SnapshotOutcome.Applied, position.ApplySnapshot(5, 10, 1, Now, _moves));
        Assert.Equal(SnapshotOutcome.Stale, position.ApplySnapshot(4, 99, null, Now, _moves));
        Assert.Equal(SnapshotOutcome.Duplicate, position.ApplySnapshot(5, 10, 1, Now, _moves));
        Assert.Equal(SnapshotOutcome.Applied, position.ApplySnapshot(6, 7, null, Now, _moves));

        Assert.Equal(7, position.OnHand);
        Assert.Equal(1, position.SafetyStock);
        Assert.Equal(6, position.LastFeedSequence);
    }

    [Fact]
    public void A_snapshot_sets_on_hand_but_leaves_open_holds_in_place()
    {
        var position = WithOnHand(10);
        position.PlaceHold("R1", 4, Now.AddMinutes(5), Now, _moves);

        position.ApplySnapshot(2, 5, null, Now, _moves);

        Assert.Equal(4, position.Reserved);
        Assert.Equal(1, position.Available);
    }

    [Fact]
    public void Adjustments_apply_once_per_id_and_never_take_on_hand_below_zero()
    {
        var position = WithOnHand(3);

        Assert.Equal(AdjustmentOutcome.Applied, position.ApplyAdjustment("A1", -2, Now, _moves));
        Assert.Equal(AdjustmentOutcome.Duplicate, position.ApplyAdjustment("A1", -2, Now, _moves));
        Assert.Equal(AdjustmentOutcome.WouldGoNegative, position.ApplyAdjustment("A2", -2, Now, _moves));
        Assert.Equal(AdjustmentOutcome.Applied, position.ApplyAdjustment("A3", 10, Now, _moves));

        Assert.Equal(11, position.OnHand);
    }

    [Theory]
    [InlineData(999_999, 1, AdjustmentOutcome.Applied, 1_000_000)]
    [InlineData(999_999, 2, AdjustmentOutcome.WouldExceedCeiling, 999_999)]
    [InlineData(0, 1_000_000, AdjustmentOutcome.Applied, 1_000_000)]
    [InlineData(1_000_000, 1_000_000, AdjustmentOutcome.WouldExceedCeiling, 1_000_000)]
    [InlineData(5, -5, AdjustmentOutcome.Applied, 0)]
    [InlineData(5, -6, AdjustmentOutcome.WouldGoNegative, 5)]
    [InlineData(0, int.MinValue, AdjustmentOutcome.WouldGoNegative, 0)]
    [InlineData(1_000_000, int.MaxValue, AdjustmentOutcome.WouldExceedCeiling, 1_000_000)]
    public void An_adjustment_keeps_on_hand_between_zero_and_the_ceiling_or_changes_nothing(int onHand, int delta, AdjustmentOutcome expected, int after)
    {
        var position = WithOnHand(onHand);
        var sequence = position.Sequence;

        Assert.Equal(expected, position.ApplyAdjustment("A1", delta, Now, _moves));

        Assert.Equal(after, position.OnHand);
        Assert.Equal(expected == AdjustmentOutcome.Applied ? sequence + 1 : sequence, position.Sequence);
        Assert.Empty(position.Anomalies());
    }

    [Fact]
    public void The_delta_that_overflowed_on_hand_sent_2148_times_stops_at_the_ceiling()
    {
        var position = new StockPosition();
        for (var i = 0; i < 2_148; i++)
        {
            position.ApplyAdjustment($"A{i}", StockPosition.MaxOnHand, Now, _moves);
        }

        Assert.Equal(StockPosition.MaxOnHand, position.OnHand);
        Assert.Empty(position.Anomalies());
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(1_000_001, 0)]
    [InlineData(0, 1_000_001)]
    public void A_snapshot_beyond_the_ceiling_is_a_programming_error(int onHand, int safetyStock)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StockPosition().ApplySnapshot(1, onHand, safetyStock, Now, _moves));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1_000_000_000_000_001)]
    [InlineData(long.MaxValue)]
    public void A_feed_sequence_outside_its_range_is_a_programming_error(long sequence)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StockPosition().ApplySnapshot(sequence, 1, null, Now, _moves));
    }

    public static TheoryData<string, Action<StockPosition>> Impossible => new()
    {
        { "onHand", p => p.OnHand = -2_146_967_296 },
        { "onHand", p => p.OnHand = StockPosition.MaxOnHand + 1 },
        { "safetyStock", p => p.SafetyStock = -1 },
        { "reserved", p => p.Reserved = -1 },
        { "reserved", p => p.Reserved = 3 },
        { "allocated", p => p.Allocated = -1 },
        { "allocated", p => p.Allocations = new() { ["O1:1"] = -1 } },
        { "feed sequence", p => p.LastFeedSequence = long.MaxValue },
    };

    [Theory]
    [MemberData(nameof(Impossible))]
    public void An_impossible_position_is_named_by_its_anomalies(string figure, Action<StockPosition> corrupt)
    {
        var position = WithOnHand(10);
        Assert.Empty(position.Anomalies());

        corrupt(position);

        Assert.Contains(position.Anomalies(), a => a.StartsWith(figure, StringComparison.Ordinal));
    }

    [Fact]
    public void Holds_and_allocations_in_step_with_their_totals_are_no_anomaly()
    {
        var position = WithOnHand(10);
        position.PlaceHold("R1", 2, Now.AddMinutes(5), Now, _moves);
        position.PlaceHold("R2", 3, Now.AddMinutes(5), Now, _moves);
        position.SetAllocation("O1:1", 2, "R1", Now, _moves);
        position.SetAllocation("O2:1", 1, null, Now, _moves);

        Assert.Empty(position.Anomalies());
    }

    [Theory]
    // last applied (sequence, onHand, safetyStock), then the next snapshot, and what it does
    [InlineData(5, 10, 1, 5, 10, 1, false, SnapshotOutcome.Duplicate)]
    [InlineData(5, 10, 1, 5, 10, null, false, SnapshotOutcome.Duplicate)]
    [InlineData(5, 10, 1, 5, 11, 1, false, SnapshotOutcome.Conflict)]
    [InlineData(5, 10, 1, 5, 10, 2, false, SnapshotOutcome.Conflict)]
    [InlineData(5, 10, 1, 4, 10, 1, false, SnapshotOutcome.Stale)]
    [InlineData(5, 10, 1, 1_000_005, 10, 1, false, SnapshotOutcome.Applied)]
    [InlineData(5, 10, 1, 1_000_006, 10, 1, false, SnapshotOutcome.TooFarAhead)]
    [InlineData(5, 10, 1, 1_000_000_000_000_000, 10, 1, false, SnapshotOutcome.TooFarAhead)]
    [InlineData(5, 10, 1, 1, 7, null, true, SnapshotOutcome.Applied)]
    [InlineData(5, 10, 1, 1_000_000_000, 7, null, true, SnapshotOutcome.Applied)]
    [InlineData(5, 10, 1, 5, 7, null, true, SnapshotOutcome.Applied)]
    [InlineData(5, 10, 1, 5, 10, 1, true, SnapshotOutcome.Duplicate)]
    [InlineData(0, 10, 1, 1_000_000_000_000_000, 7, null, false, SnapshotOutcome.Applied)]
    public void A_feed_sequence_is_applied_once_in_order_within_reach_unless_the_feed_resets(
        long last, int lastOnHand, int lastSafety, long sequence, int onHand, int? safety, bool reset, SnapshotOutcome expected)
    {
        var position = new StockPosition();
        position.ApplySnapshot(last, lastOnHand, lastSafety, Now, _moves);
        var before = position.Figures();

        Assert.Equal(expected, position.ApplySnapshot(sequence, onHand, safety, Now, _moves, reset));

        if (expected == SnapshotOutcome.Applied)
        {
            Assert.Equal((onHand, sequence), (position.OnHand, position.LastFeedSequence));
            Assert.Equal(reset ? MovementKind.SnapshotReset : MovementKind.SnapshotApplied, _moves[^1].Kind);
        }
        else
        {
            Assert.Equal(before, position.Figures());
            Assert.Equal(last, position.LastFeedSequence);
        }
    }

    [Fact]
    public void A_reset_is_in_the_ledger_and_its_fold_is_the_position()
    {
        var position = new StockPosition();
        position.ApplySnapshot(900, 10, 2, Now, _moves);
        position.ApplyAdjustment("A1", -1, Now, _moves);
        position.ApplySnapshot(3, 4, null, Now, _moves, reset: true);

        Assert.Equal(SnapshotOutcome.Applied, position.ApplySnapshot(4, 5, null, Now, _moves));
        Assert.Equal(SnapshotOutcome.Stale, position.ApplySnapshot(2, 10, 2, Now, _moves));
        Assert.Equal(position.Figures(), StockPosition.Replay(_moves).Figures());
        Assert.Equal(4, StockPosition.Replay(_moves).LastFeedSequence);
        Assert.Contains(_moves, m => m is { Kind: MovementKind.SnapshotReset, FeedSequence: 3 });
    }

    [Fact]
    public void Reusing_an_adjustment_id_for_another_delta_is_a_conflict_and_changes_nothing()
    {
        var position = WithOnHand(10);
        position.ApplyAdjustment("A1", -2, Now, _moves);

        Assert.Equal(AdjustmentOutcome.Conflict, position.ApplyAdjustment("A1", -3, Now, _moves));
        Assert.Equal(AdjustmentOutcome.Duplicate, position.ApplyAdjustment("A1", -2, Now, _moves));
        Assert.Equal(8, position.OnHand);
        Assert.Equal(-2, StockPosition.Replay(_moves).AdjustmentDeltas!["A1"]);
    }

    [Fact]
    public void A_snapshot_from_before_deltas_and_feed_figures_were_recorded_still_reads_and_dedups()
    {
        // What an older build wrote: no LastFeedOnHand, no AdjustmentDeltas.
        const string json = """
            {"onHand":8,"safetyStock":1,"reserved":0,"allocated":0,"lastFeedSequence":5,"sequence":2,
             "appliedAdjustments":{"A1":"2026-11-26T12:00:00+00:00"}}
            """;
        var position = System.Text.Json.JsonSerializer.Deserialize<StockPosition>(json, Oms.Grains.Hosting.JsonGrainStateSerializer.Options)!;

        Assert.Equal(AdjustmentOutcome.Duplicate, position.ApplyAdjustment("A1", 99, Now, _moves));
        Assert.Equal(SnapshotOutcome.Duplicate, position.ApplySnapshot(5, 99, null, Now, _moves));
        Assert.Equal(AdjustmentOutcome.Applied, position.ApplyAdjustment("A2", 1, Now, _moves));

        var roundTripped = System.Text.Json.JsonSerializer.Deserialize<StockPosition>(
            System.Text.Json.JsonSerializer.Serialize(position, Oms.Grains.Hosting.JsonGrainStateSerializer.Options),
            Oms.Grains.Hosting.JsonGrainStateSerializer.Options)!;
        Assert.Equal(AdjustmentOutcome.Conflict, roundTripped.ApplyAdjustment("A2", 2, Now, _moves));
    }

    [Fact]
    public void Pruning_forgets_adjustment_ids_past_the_window_and_released_ids_past_their_expiry()
    {
        var position = WithOnHand(3);
        position.ApplyAdjustment("OLD", 1, Now.AddDays(-8), _moves);
        position.ApplyAdjustment("NEW", 1, Now.AddDays(-1), _moves);
        position.PlaceHold("R1", 1, Now.AddMinutes(1), Now, _moves);
        position.ReleaseHold("R1", Now, _moves);

        position.Prune(Now.AddMinutes(2), TimeSpan.FromDays(7));

        Assert.Equal(["NEW"], position.AppliedAdjustments!.Keys);
        Assert.Empty(position.ReleasedHolds!);
    }

    [Fact]
    public void A_movement_out_of_sequence_is_refused()
    {
        var position = WithOnHand(3);

        Assert.Throws<InvalidOperationException>(() =>
            position.Apply(new StockMovement(5, MovementKind.Adjusted, 1, "A1", Now)));
    }

    [Fact]
    public void The_ledger_fold_equals_the_live_position_after_ten_thousand_random_operations()
    {
        var random = new Random(42);
        var position = new StockPosition();
        var now = Now;
        for (var i = 0; i < 10_000; i++)
        {
            now = now.AddSeconds(random.Next(0, 3));
            var id = $"R{random.Next(0, 400)}";
            switch (random.Next(8))
            {
                case 0 or 1 or 2:
                    position.PlaceHold(id, random.Next(1, 5), now.AddSeconds(random.Next(1, 120)), now, _moves);
                    break;
                case 3:
                    position.ReleaseHold(id, now, _moves);
                    break;
                case 4:
                    position.ApplyAdjustment($"A{random.Next(0, 2_000)}", random.Next(-20, 30), now, _moves);
                    break;
                case 5:
                    position.ApplySnapshot(random.Next(0, 2_000), random.Next(0, 600), random.Next(0, 3) == 0 ? random.Next(0, 5) : null, now, _moves);
                    break;
                case 6:
                    position.SetAllocation($"O{random.Next(0, 60)}:1", random.Next(0, 4), random.Next(0, 4) == 0 ? id : null, now, _moves);
                    break;
                default:
                    position.ExpireHolds(now, _moves);
                    break;
            }

            Assert.Equal(position.Holds?.Values.Sum(h => h.Quantity) ?? 0, position.Reserved);
            Assert.Equal(position.Allocations?.Values.Sum() ?? 0, position.Allocated);
        }

        var replayed = StockPosition.Replay(_moves);

        Assert.Equal(position.Describe(), replayed.Describe());
        Assert.Equal(position.Holds!.OrderBy(h => h.Key), replayed.Holds!.OrderBy(h => h.Key));
        Assert.Equal(position.Allocations!.OrderBy(a => a.Key), replayed.Allocations!.OrderBy(a => a.Key));
        Assert.Equal(_moves.Select((m, i) => (long)i + 1), _moves.Select(m => m.Sequence));
    }

    [Fact]
    public void A_fold_can_start_from_a_snapshot()
    {
        var position = WithOnHand(10);
        position.PlaceHold("R1", 3, Now.AddMinutes(5), Now, _moves);
        var snapshot = StockPosition.Replay(_moves);
        var tail = new List<StockMovement>();
        position.ReleaseHold("R1", Now, tail);
        position.ApplyAdjustment("A1", 2, Now, tail);

        Assert.Equal(position.Describe(), StockPosition.Replay(tail, snapshot).Describe());
    }

    [Fact]
    public void An_allocation_is_set_not_added_so_retries_change_nothing()
    {
        var position = WithOnHand(10);

        Assert.Equal(AllocationDecision.Applied, position.SetAllocation("O1:1", 3, null, Now, _moves));
        Assert.Equal(AllocationDecision.Unchanged, position.SetAllocation("O1:1", 3, null, Now, _moves));
        Assert.Equal(AllocationDecision.Insufficient, position.SetAllocation("O2:1", 8, null, Now, _moves));
        Assert.Equal(AllocationDecision.Applied, position.SetAllocation("O1:1", 1, null, Now, _moves));
        Assert.Equal(AllocationDecision.Applied, position.SetAllocation("O1:1", 0, null, Now, _moves));
        Assert.Equal(AllocationDecision.Unchanged, position.SetAllocation("O1:1", 0, null, Now, _moves));

        Assert.Equal((0, 10), (position.Allocated, position.Available));
        Assert.Empty(position.Allocations!);
        Assert.Equal(position.Describe(), StockPosition.Replay(_moves).Describe());
    }

    [Fact]
    public void A_held_unit_becomes_the_orders_even_when_nothing_else_is_available()
    {
        var position = WithOnHand(2);
        position.PlaceHold("RES-1", 2, Now.AddMinutes(5), Now, _moves);

        Assert.Equal(AllocationDecision.HoldMismatch, position.SetAllocation("O1:1", 1, "RES-1", Now, _moves));
        Assert.Equal(AllocationDecision.Applied, position.SetAllocation("O1:1", 2, "RES-1", Now, _moves));

        Assert.Equal((0, 2, 0, 0), (position.Reserved, position.Allocated, position.Available, position.OpenHolds));
        Assert.Equal(HoldDecision.AlreadyReleased, position.PlaceHold("RES-1", 2, Now.AddMinutes(5), Now, _moves));
    }

    [Fact]
    public void A_hold_history_tells_held_released_expired_and_allocated_apart_and_only_the_latest_placement_counts()
    {
        var position = WithOnHand(10);
        position.PlaceHold("A", 1, Now.AddMinutes(5), Now, _moves);
        position.PlaceHold("B", 2, Now.AddMinutes(5), Now, _moves);
        position.PlaceHold("C", 1, Now.AddMinutes(1), Now, _moves);
        position.PlaceHold("D", 3, Now.AddMinutes(5), Now, _moves);
        position.ReleaseHold("B", Now.AddSeconds(10), _moves);
        position.ExpireHolds(Now.AddMinutes(2), _moves);
        position.SetAllocation("O-1:1", 3, "D", Now.AddMinutes(2), _moves);

        StockHoldView? Of(string reference) => HoldHistory.Describe(reference, [.. _moves.Where(m => m.Reference == reference)]);

        Assert.Equal((HoldStatus.Held, 1, null), (Of("A")!.Status, Of("A")!.Quantity, Of("A")!.EndedAt));
        Assert.Equal((HoldStatus.Released, Now.AddSeconds(10)), (Of("B")!.Status, Of("B")!.EndedAt));
        Assert.Equal(HoldStatus.Expired, Of("C")!.Status);
        Assert.Equal((HoldStatus.Allocated, 3), (Of("D")!.Status, Of("D")!.Quantity));
        Assert.Null(Of("E"));

        // An id used afresh after its window: the new placement is the one described.
        var reused = HoldHistory.Describe("B", [.. _moves.Where(m => m.Reference == "B"),
            new StockMovement(99, MovementKind.HoldPlaced, 4, "B", Now.AddDays(8), ExpiresAt: Now.AddDays(8).AddMinutes(5))]);
        Assert.Equal((HoldStatus.Held, 4), (reused!.Status, reused.Quantity));
    }
}
