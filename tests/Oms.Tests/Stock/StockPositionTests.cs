using Oms.Grains.Stock;

namespace Oms.Tests.Stock;

public sealed class StockPositionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static StockPosition WithOnHand(int onHand, int safetyStock = 0)
    {
        var position = new StockPosition();
        position.ApplySnapshot(1, onHand, safetyStock);
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
    public void A_hold_reduces_atp_and_is_idempotent_per_reservation()
    {
        var position = WithOnHand(5);

        Assert.Equal(HoldDecision.Held, position.PlaceHold("R1", 2, Now.AddMinutes(5), Now));
        Assert.Equal(HoldDecision.AlreadyHeld, position.PlaceHold("R1", 2, Now.AddMinutes(5), Now));
        Assert.Equal(HoldDecision.QuantityMismatch, position.PlaceHold("R1", 3, Now.AddMinutes(5), Now));

        Assert.Equal(2, position.Reserved);
        Assert.Equal(3, position.Available);
    }

    [Fact]
    public void A_hold_beyond_atp_is_refused_and_changes_nothing()
    {
        var position = WithOnHand(5, safetyStock: 2);
        var version = position.Version;

        Assert.Equal(HoldDecision.Insufficient, position.PlaceHold("R1", 4, Now.AddMinutes(5), Now));

        Assert.Equal(0, position.Reserved);
        Assert.Equal(version, position.Version);
        Assert.Equal(HoldDecision.Held, position.PlaceHold("R2", 3, Now.AddMinutes(5), Now));
    }

    [Fact]
    public void Release_is_idempotent_and_a_released_reservation_cannot_hold_again()
    {
        var position = WithOnHand(5);
        position.PlaceHold("R1", 2, Now.AddMinutes(5), Now);

        Assert.True(position.ReleaseHold("R1", Now));
        Assert.False(position.ReleaseHold("R1", Now));
        Assert.Equal(0, position.Reserved);
        Assert.Equal(HoldDecision.AlreadyReleased, position.PlaceHold("R1", 2, Now.AddMinutes(5), Now));
    }

    [Fact]
    public void Holds_expire_at_their_ttl_and_not_before()
    {
        var position = WithOnHand(5);
        position.PlaceHold("R1", 2, Now.AddSeconds(30), Now);
        position.PlaceHold("R2", 1, Now.AddSeconds(60), Now);

        Assert.Empty(position.ExpireHolds(Now.AddSeconds(29)));
        Assert.Equal(["R1"], position.ExpireHolds(Now.AddSeconds(30)));
        Assert.Equal(1, position.Reserved);
        Assert.Equal(Now.AddSeconds(60), position.NextExpiry);
    }

    [Fact]
    public void Placing_a_hold_first_frees_expired_ones()
    {
        var position = WithOnHand(2);
        position.PlaceHold("R1", 2, Now.AddSeconds(10), Now);

        Assert.Equal(HoldDecision.Held, position.PlaceHold("R2", 2, Now.AddMinutes(5), Now.AddSeconds(11)));
        Assert.Equal(2, position.Reserved);
    }

    [Fact]
    public void A_snapshot_older_than_the_last_applied_is_stale_and_a_replay_is_a_duplicate()
    {
        var position = new StockPosition();

        Assert.Equal(SnapshotOutcome.Applied, position.ApplySnapshot(5, 10, 1));
        Assert.Equal(SnapshotOutcome.Stale, position.ApplySnapshot(4, 99, null));
        Assert.Equal(SnapshotOutcome.Duplicate, position.ApplySnapshot(5, 10, 1));
        Assert.Equal(SnapshotOutcome.Applied, position.ApplySnapshot(6, 7, null));

        Assert.Equal(7, position.OnHand);
        Assert.Equal(1, position.SafetyStock);
        Assert.Equal(6, position.LastFeedSequence);
    }

    [Fact]
    public void A_snapshot_sets_on_hand_but_leaves_open_holds_in_place()
    {
        var position = WithOnHand(10);
        position.PlaceHold("R1", 4, Now.AddMinutes(5), Now);

        position.ApplySnapshot(2, 5, null);

        Assert.Equal(4, position.Reserved);
        Assert.Equal(1, position.Available);
    }

    [Fact]
    public void Adjustments_apply_once_per_id_and_never_take_on_hand_below_zero()
    {
        var position = WithOnHand(3);

        Assert.Equal(AdjustmentOutcome.Applied, position.ApplyAdjustment("A1", -2, Now));
        Assert.Equal(AdjustmentOutcome.Duplicate, position.ApplyAdjustment("A1", -2, Now));
        Assert.Equal(AdjustmentOutcome.WouldGoNegative, position.ApplyAdjustment("A2", -2, Now));
        Assert.Equal(AdjustmentOutcome.Applied, position.ApplyAdjustment("A3", 10, Now));

        Assert.Equal(11, position.OnHand);
    }

    [Fact]
    public void Pruning_forgets_adjustment_ids_past_the_window_and_released_ids_past_their_expiry()
    {
        var position = WithOnHand(3);
        position.ApplyAdjustment("OLD", 1, Now.AddDays(-8));
        position.ApplyAdjustment("NEW", 1, Now.AddDays(-1));
        position.PlaceHold("R1", 1, Now.AddMinutes(1), Now);
        position.ReleaseHold("R1", Now);

        Assert.True(position.Prune(Now.AddMinutes(2), TimeSpan.FromDays(7)));

        Assert.Equal(["NEW"], position.AppliedAdjustments.Keys);
        Assert.Empty(position.ReleasedHolds);
    }

    [Fact]
    public void A_clone_is_independent_so_a_failed_write_can_restore_it()
    {
        var position = WithOnHand(5);
        var before = position.Clone();

        position.PlaceHold("R1", 2, Now.AddMinutes(5), Now);

        Assert.Equal(0, before.Reserved);
        Assert.Empty(before.Holds);
        Assert.Equal(2, position.Reserved);
    }

    [Fact]
    public void Reserved_always_equals_the_sum_of_open_holds_after_a_random_mix()
    {
        var random = new Random(42);
        var position = WithOnHand(500);
        var now = Now;
        for (var i = 0; i < 5_000; i++)
        {
            now = now.AddSeconds(random.Next(0, 3));
            var id = $"R{random.Next(0, 300)}";
            switch (random.Next(4))
            {
                case 0 or 1:
                    position.PlaceHold(id, random.Next(1, 5), now.AddSeconds(random.Next(1, 120)), now);
                    break;
                case 2:
                    position.ReleaseHold(id, now);
                    break;
                default:
                    position.ExpireHolds(now);
                    break;
            }

            Assert.Equal(position.Holds.Values.Sum(h => h.Quantity), position.Reserved);
            Assert.True(position.Reserved <= position.OnHand);
        }
    }
}
