using Oms.Grains.Persistence;
using Oms.Grains.Stock;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Stock;

/// <summary>Stock follows the physical world: what each fulfilment movement does to a position, once per report.</summary>
public sealed class FulfilmentMovementTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T10:00:00Z");

    /// <returns>A position with 10 on hand, 4 of them allocated to order line O1:1.</returns>
    private static (StockPosition Position, List<StockMovement> Movements) Allocated()
    {
        var p = new StockPosition();
        var movements = new List<StockMovement>();
        p.ApplySnapshot(1, 10, 0, Now, movements);
        Assert.Equal(AllocationDecision.Applied, p.SetAllocation("O1:1", 4, null, Now, movements));
        return (p, movements);
    }

    [Theory]
    [InlineData(MovementKind.Shipped, 7, 1, 6)]
    [InlineData(MovementKind.Collected, 7, 1, 6)]
    [InlineData(MovementKind.WrittenOff, 7, 1, 6)]
    [InlineData(MovementKind.Quarantined, 10, 1, 6)]
    public void Units_leaving_an_allocation_take_what_the_physical_world_says(MovementKind kind, int onHand, int allocated, int available)
    {
        var (p, movements) = Allocated();
        Assert.Equal(FulfilmentMovementDecision.Applied, p.ApplyFulfilment("wms-1", kind, "O1:1", 3, Now, movements));
        Assert.Equal((onHand, allocated, available), (p.OnHand, p.Allocated, p.Available));
        Assert.Equal(kind == MovementKind.Quarantined ? 3 : 0, p.Quarantined);
        Assert.Equal(1, p.Allocations!["O1:1"]);
        Assert.Empty(p.Anomalies());
    }

    [Fact]
    public void A_received_transfer_is_on_hand_and_still_allocated_so_it_never_shows_as_sellable()
    {
        var p = new StockPosition();
        var movements = new List<StockMovement>();
        p.ApplySnapshot(1, 2, 0, Now, movements);
        Assert.Equal(FulfilmentMovementDecision.Applied, p.ApplyFulfilment("recv-1", MovementKind.TransferReceived, "O1:1", 3, Now, movements));
        Assert.Equal((5, 3, 2), (p.OnHand, p.Allocated, p.Available));
        Assert.Equal(FulfilmentMovementDecision.Applied, p.ApplyFulfilment("coll-1", MovementKind.Collected, "O1:1", 3, Now, movements));
        Assert.Equal((2, 0, 2), (p.OnHand, p.Allocated, p.Available));
        Assert.False(p.Allocations?.ContainsKey("O1:1") ?? false, "a collected line holds nothing here any more");
    }

    [Fact]
    public void A_retried_report_moves_nothing_twice_and_the_same_id_for_another_movement_is_a_conflict()
    {
        var (p, movements) = Allocated();
        Assert.Equal(FulfilmentMovementDecision.Applied, p.ApplyFulfilment("wms-1", MovementKind.Shipped, "O1:1", 2, Now, movements));
        var count = movements.Count;
        Assert.Equal(FulfilmentMovementDecision.Duplicate, p.ApplyFulfilment("wms-1", MovementKind.Shipped, "O1:1", 2, Now, movements));
        Assert.Equal(FulfilmentMovementDecision.Conflict, p.ApplyFulfilment("wms-1", MovementKind.Shipped, "O1:1", 1, Now, movements));
        Assert.Equal(FulfilmentMovementDecision.Conflict, p.ApplyFulfilment("wms-1", MovementKind.WrittenOff, "O1:1", 2, Now, movements));
        Assert.Equal(count, movements.Count);
        Assert.Equal((8, 2), (p.OnHand, p.Allocated));
    }

    [Fact]
    public void More_than_the_line_has_allocated_here_is_refused_and_changes_nothing()
    {
        var (p, movements) = Allocated();
        var before = p.Figures();
        Assert.Equal(FulfilmentMovementDecision.Insufficient, p.ApplyFulfilment("wms-1", MovementKind.Shipped, "O1:1", 5, Now, movements));
        Assert.Equal(FulfilmentMovementDecision.Insufficient, p.ApplyFulfilment("wms-2", MovementKind.Shipped, "O9:1", 1, Now, movements));
        Assert.Equal(before, p.Figures());

        // A refused id is not spent: the corrected report may use it.
        Assert.Equal(FulfilmentMovementDecision.Applied, p.ApplyFulfilment("wms-1", MovementKind.Shipped, "O1:1", 4, Now, movements));
    }

    [Fact]
    public void A_receipt_past_the_ceiling_is_refused()
    {
        var p = new StockPosition();
        var movements = new List<StockMovement>();
        p.ApplySnapshot(1, StockPosition.MaxOnHand, 0, Now, movements);
        Assert.Equal(FulfilmentMovementDecision.WouldExceedCeiling, p.ApplyFulfilment("r", MovementKind.TransferReceived, "O1:1", 1, Now, movements));
    }

    [Fact]
    public void The_ledger_replayed_gives_back_the_position_and_still_recognises_every_report_until_the_window_passes()
    {
        var (p, movements) = Allocated();
        p.ApplyFulfilment("a", MovementKind.Shipped, "O1:1", 1, Now, movements);
        p.ApplyFulfilment("b", MovementKind.Quarantined, "O1:1", 1, Now, movements);
        p.ApplyFulfilment("c", MovementKind.TransferReceived, "O2:1", 2, Now, movements);
        p.ApplyFulfilment("d", MovementKind.Collected, "O2:1", 1, Now, movements);
        p.ApplyFulfilment("e", MovementKind.WrittenOff, "O1:1", 1, Now, movements);

        var replayed = StockPosition.Replay(movements);
        Assert.Equal(p.Figures(), replayed.Figures());
        Assert.Empty(replayed.Anomalies());
        Assert.Equal(FulfilmentMovementDecision.Duplicate, replayed.ApplyFulfilment("c", MovementKind.TransferReceived, "O2:1", 2, Now, []));

        replayed.Prune(Now.AddDays(8), TimeSpan.FromDays(7));
        Assert.Empty(replayed.Operations ?? []);
    }
}

/// <summary>The operation id survives the PostgreSQL ledger, so a reloaded item still refuses a retried report.</summary>
[Collection("postgres")]
public sealed class FulfilmentMovementLedgerTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_reloaded_position_still_recognises_a_report_it_applied_before()
    {
        var ledger = new PostgresStockLedger(new OmsDatabase(await postgres.CreateOmsDatabaseAsync("oms_fulfilment_ledger")));
        var now = DateTimeOffset.UtcNow;
        var p = new StockPosition();
        var movements = new List<StockMovement>();
        p.ApplySnapshot(1, 5, 0, now, movements);
        p.SetAllocation("O1:1", 2, null, now, movements);
        p.ApplyFulfilment("wms-77", MovementKind.Shipped, "O1:1", 2, now, movements);
        await ledger.Append("SKU@LOC", 0, movements);

        var state = await ledger.Load("SKU@LOC");
        var reloaded = StockPosition.Replay(state.Tail, state.Snapshot);
        Assert.Equal(p.Figures(), reloaded.Figures());
        Assert.Equal("wms-77", state.Tail[^1].Operation);
        Assert.Equal(FulfilmentMovementDecision.Duplicate, reloaded.ApplyFulfilment("wms-77", MovementKind.Shipped, "O1:1", 2, now, []));
    }
}

/// <summary>The stock item's side of fulfilment on a real two-silo cluster: each report once, and the ledger still its fold.</summary>
[Collection("cluster")]
public sealed class PhysicalMovementGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Reports_move_stock_once_each_and_the_ledger_verifies_consistent()
    {
        var grains = fixture.Grains;
        var warehouse = await Network.Location(grains);
        var boutique = await Network.Location(grains, Oms.Contracts.Locations.LocationType.Boutique);
        var sku = Network.Unique("SKU");
        await Network.Stock(grains, warehouse, sku, 10);
        await Network.Stock(grains, boutique, sku, 1);
        var source = Network.Item(grains, warehouse, sku);
        var pickup = Network.Item(grains, boutique, sku);
        Assert.Equal(Oms.Contracts.Stock.AllocationOutcome.Allocated, (await source.SetAllocation("ORD-1:1", 5, null)).Outcome);

        var shipped = await source.RecordPhysical("wms-1", Oms.Contracts.Stock.PhysicalMovement.Shipped, "ORD-1:1", 3);
        Assert.Equal(Oms.Contracts.Stock.PhysicalMovementOutcome.Applied, shipped.Outcome);
        Assert.Equal((7, 2, 5), (shipped.Level.OnHand, shipped.Level.Allocated, shipped.Level.Available));
        Assert.Equal(Oms.Contracts.Stock.PhysicalMovementOutcome.Duplicate, (await source.RecordPhysical("wms-1", Oms.Contracts.Stock.PhysicalMovement.Shipped, "ORD-1:1", 3)).Outcome);
        Assert.Equal(Oms.Contracts.Stock.PhysicalMovementOutcome.Insufficient, (await source.RecordPhysical("wms-2", Oms.Contracts.Stock.PhysicalMovement.Shipped, "ORD-1:1", 3)).Outcome);

        var damaged = await source.RecordPhysical("wms-3", Oms.Contracts.Stock.PhysicalMovement.Quarantined, "ORD-1:1", 1);
        Assert.Equal((7, 1, 1, 5), (damaged.Level.OnHand, damaged.Level.Allocated, damaged.Level.Quarantined, damaged.Level.Available));

        // The transferred units arrive at the boutique allocated to the order: on hand rises, sellable does not.
        var received = await pickup.RecordPhysical("recv-1", Oms.Contracts.Stock.PhysicalMovement.TransferReceived, "ORD-1:1", 3);
        Assert.Equal((4, 3, 1), (received.Level.OnHand, received.Level.Allocated, received.Level.Available));
        var collected = await pickup.RecordPhysical("coll-1", Oms.Contracts.Stock.PhysicalMovement.Collected, "ORD-1:1", 3);
        Assert.Equal((1, 0, 1), (collected.Level.OnHand, collected.Level.Allocated, collected.Level.Available));

        Assert.True((await source.Verify()).Consistent);
        Assert.True((await pickup.Verify()).Consistent);
        var ledger = await source.GetLedger(0, 100);
        Assert.Equal(["shipped", "quarantined"], ledger.Entries.Where(e => e.Operation is not null).Select(e => e.Kind));
        Assert.Equal(["wms-1", "wms-3"], ledger.Entries.Where(e => e.Operation is not null).Select(e => e.Operation));
    }
}
