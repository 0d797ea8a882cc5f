using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Stock;

[Collection("cluster")]
public sealed class StockItemGrainTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task Stock_at_an_unknown_location_is_refused_and_nothing_is_stored()
    {
        var item = Network.Item(_grains, Network.Unique("NOWHERE"), "BAG-001");

        Assert.Equal(StockOutcome.UnknownLocation, (await item.ApplySnapshot(1, 10, null)).Outcome);
        Assert.Equal(StockOutcome.UnknownLocation, (await item.ApplyAdjustment("A1", 5, null)).Outcome);
        Assert.Equal(HoldOutcome.UnknownLocation, (await item.PlaceHold("R1", 1, DateTimeOffset.UtcNow.AddMinutes(1))).Outcome);
        Assert.Equal(0, (await item.GetLevel()).OnHand);
    }

    [Fact]
    public async Task Snapshots_adjustments_and_holds_give_an_exact_position()
    {
        var location = await Network.Location(_grains);
        var item = Network.Item(_grains, location, "BAG-001");

        await item.ApplySnapshot(10, 20, 2);
        Assert.Equal(StockOutcome.Stale, (await item.ApplySnapshot(9, 99, null)).Outcome);
        Assert.Equal(StockOutcome.Applied, (await item.ApplyAdjustment("ADJ-1", -3, "damaged")).Outcome);
        Assert.Equal(StockOutcome.Duplicate, (await item.ApplyAdjustment("ADJ-1", -3, "damaged")).Outcome);
        Assert.Equal(HoldOutcome.Held, (await item.PlaceHold("R1", 4, DateTimeOffset.UtcNow.AddMinutes(10))).Outcome);

        Assert.Equal(new StockLevel("BAG-001", location, 17, 2, 4, 0, 11), await item.GetLevel());
    }

    [Fact]
    public async Task Many_parallel_buyers_never_hold_more_than_is_available()
    {
        var location = await Network.Location(_grains);
        await Network.Stock(_grains, location, "DROP-1", onHand: 27, safetyStock: 2);
        var item = Network.Item(_grains, location, "DROP-1");
        var expires = DateTimeOffset.UtcNow.AddMinutes(10);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => item.PlaceHold($"BUYER-{i}", 1, expires)));

        Assert.Equal(25, results.Count(r => r.Outcome == HoldOutcome.Held));
        Assert.All(results.Where(r => r.Outcome != HoldOutcome.Held), r => Assert.Equal(HoldOutcome.Insufficient, r.Outcome));
        var level = await item.GetLevel();
        Assert.Equal(25, level.Reserved);
        Assert.Equal(0, level.Available);
    }

    [Fact]
    public async Task The_network_view_follows_every_location_within_a_second()
    {
        var sku = Network.Unique("SKU");
        var warehouse = await Network.Location(_grains, LocationType.Warehouse);
        var boutique = await Network.Location(_grains, LocationType.Boutique);
        await Network.Stock(_grains, warehouse, sku, 10);
        await Network.Stock(_grains, boutique, sku, 3, safetyStock: 1);
        await Network.Item(_grains, boutique, sku).PlaceHold("R1", 1, DateTimeOffset.UtcNow.AddMinutes(5));

        var view = await Eventually.Until(
            () => _grains.GetGrain<ISkuAvailabilityGrain>(sku).Get(),
            v => v.Available == 11 && v.Locations.Count == 2,
            TimeSpan.FromSeconds(1),
            "the view shows 10 at the warehouse and 1 at the boutique");

        Assert.Equal([new LocationAvailability(warehouse, LocationType.Warehouse, 10), new LocationAvailability(boutique, LocationType.Boutique, 1)], view.Locations);
    }

    [Fact]
    public async Task An_expired_hold_is_released_on_time_without_anyone_asking()
    {
        var sku = Network.Unique("SKU");
        var location = await Network.Location(_grains);
        await Network.Stock(_grains, location, sku, 5);
        await Network.Item(_grains, location, sku).PlaceHold("R1", 5, DateTimeOffset.UtcNow.AddSeconds(2));
        await WaitForView(sku, 0);

        // Only the pushed view is read, so the release must come from the item's own timer, not a lazy read.
        await WaitForView(sku, 5, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task An_expired_hold_is_released_even_after_the_item_was_deactivated()
    {
        var sku = Network.Unique("SKU");
        var location = await Network.Location(_grains);
        await Network.Stock(_grains, location, sku, 5);
        var item = Network.Item(_grains, location, sku);
        await item.PlaceHold("R1", 5, DateTimeOffset.UtcNow.AddSeconds(3));
        await WaitForView(sku, 0);

        await fixture.Cluster.DeactivateAsync(item);

        // No activation, no timer: only the reminder can bring the item back to release the hold.
        await WaitForView(sku, 5, TimeSpan.FromSeconds(10));
        Assert.Equal(0, (await item.GetLevel()).Reserved);
    }

    private async Task WaitForView(string sku, int available, TimeSpan? within = null) =>
        await Eventually.Until(
            () => _grains.GetGrain<ISkuAvailabilityGrain>(sku).Get(),
            v => v.Available == available,
            within ?? TimeSpan.FromSeconds(2),
            $"{sku} shows {available} available");
}
