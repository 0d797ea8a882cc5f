using Oms.Contracts;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Reservations;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Orders;

[Collection("cluster")]
public sealed class OrderGrainTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    private static PlaceOrder Order(string customer, params (string Sku, int Quantity)[] lines) => new(
        OrderChannel.Web, new Customer(customer, null, null),
        [.. lines.Select((l, i) => new OrderLine($"{i + 1}", l.Sku, l.Quantity, 100m, "EUR"))],
        new Delivery(DeliveryMethod.ShipToHome, new DeliveryAddress("1 Main St", "Paris", "75001", "FR", 48.86, 2.34), null),
        null);

    private async Task<string> Warehouse(double lat = 49.0, double lon = 2.5)
    {
        var id = Network.Unique("WH");
        await _grains.GetGrain<ILocationGrain>(id).Upsert(new LocationInfo(id, id, LocationType.Warehouse, lat, lon, "FR", "Europe/Paris"));
        return id;
    }

    /// <summary>
    /// Sourcing reads the network view, which stock items feed asynchronously, through a network grain on each silo
    /// whose copy of the profiles may lag a refresh period behind the one that answered here.
    /// </summary>
    private async Task WaitForNetwork(string sku, int available)
    {
        await Eventually.Until(() => _grains.GetGrain<INetworkGrain>(0).GetAvailability(sku, AvailabilityView.Online),
            v => v.Available == available, TimeSpan.FromSeconds(5), $"{sku} shows {available} online");
        await Task.Delay(TestClusters.ProfileRefresh * 2);
    }

    [Fact]
    public async Task Two_hundred_parallel_checkouts_for_scarce_stock_allocate_exactly_what_exists()
    {
        var (bag, scarf) = (Network.Unique("BAG"), Network.Unique("SCARF"));
        var warehouses = new[] { await Warehouse(49.0, 2.5), await Warehouse(45.7, 4.8), await Warehouse(43.3, 5.4) };
        var stock = new Dictionary<(string, string), int>
        {
            [(warehouses[0], bag)] = 4, [(warehouses[1], bag)] = 3, [(warehouses[2], bag)] = 2,
            [(warehouses[0], scarf)] = 2, [(warehouses[1], scarf)] = 5,
        };
        foreach (var ((location, sku), units) in stock)
        {
            await Network.Stock(_grains, location, sku, units);
        }

        await WaitForNetwork(bag, 9);
        await WaitForNetwork(scarf, 7);

        var random = new Random(200);
        var requests = Enumerable.Range(0, 200).Select(i => random.Next(3) switch
        {
            0 => Order($"C{i}", (bag, 1)),
            1 => Order($"C{i}", (scarf, 1)),
            _ => Order($"C{i}", (bag, 1), (scarf, 1)),
        }).ToList();
        var ids = requests.Select(_ => Network.Unique("ORD")).ToList();

        var results = await Task.WhenAll(requests.Select((r, i) => _grains.GetGrain<IOrderGrain>(ids[i]).Place(r)));

        Assert.All(results, r => Assert.Contains(r.Outcome, new[] { PlaceOrderOutcome.Created, PlaceOrderOutcome.Short, PlaceOrderOutcome.Contended }));
        var placed = results.Where(r => r.Outcome == PlaceOrderOutcome.Created).Select(r => r.Order!).ToList();
        Assert.NotEmpty(placed);
        Assert.All(placed, o => Assert.All(o.Lines, l => Assert.Equal(l.Quantity, l.AllocatedQuantity)));

        foreach (var ((location, sku), units) in stock)
        {
            var level = await Network.Item(_grains, location, sku).GetLevel();
            var ordered = placed.SelectMany(o => o.Lines.Where(l => l.Sku == sku)).SelectMany(l => l.Allocations).Where(a => a.LocationId == location).Sum(a => a.Quantity);
            Assert.Equal(ordered, level.Allocated);
            Assert.True(level.Allocated <= units, $"{sku} at {location}: {level.Allocated} allocated of {units}");
        }

        // Scarce stock is all sold: every unit of both SKUs went to some complete order.
        Assert.Equal(9, placed.Sum(o => o.Lines.Where(l => l.Sku == bag).Sum(l => l.AllocatedQuantity)) + await Left(bag, warehouses));
        Assert.Equal(7, placed.Sum(o => o.Lines.Where(l => l.Sku == scarf).Sum(l => l.AllocatedQuantity)) + await Left(scarf, warehouses));
    }

    private async Task<int> Left(string sku, IEnumerable<string> locations)
    {
        var left = 0;
        foreach (var location in locations)
        {
            left += (await Network.Item(_grains, location, sku).GetLevel()).Available;
        }

        return left;
    }

    [Fact]
    public async Task Concurrent_replays_of_one_checkout_place_one_order_and_allocate_once()
    {
        var sku = Network.Unique("BAG");
        var warehouse = await Warehouse();
        await Network.Stock(_grains, warehouse, sku, 5);
        await WaitForNetwork(sku, 5);
        var order = _grains.GetGrain<IOrderGrain>(Network.Unique("ORD"));
        var request = Order("C1", (sku, 2));

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => order.Place(request)));

        Assert.Single(results, r => r.Outcome == PlaceOrderOutcome.Created);
        Assert.Equal(9, results.Count(r => r.Outcome == PlaceOrderOutcome.Replayed));
        Assert.Equal(2, (await Network.Item(_grains, warehouse, sku).GetLevel()).Allocated);
        Assert.Equal(PlaceOrderOutcome.KeyConflict, (await order.Place(Order("C1", (sku, 3)))).Outcome);
    }

    [Fact]
    public async Task Short_stock_refuses_the_order_and_holds_nothing()
    {
        var (bag, scarf) = (Network.Unique("BAG"), Network.Unique("SCARF"));
        var warehouse = await Warehouse();
        await Network.Stock(_grains, warehouse, bag, 5);
        await Network.Stock(_grains, warehouse, scarf, 1);
        await WaitForNetwork(scarf, 1);

        var result = await _grains.GetGrain<IOrderGrain>(Network.Unique("ORD")).Place(Order("C1", (bag, 1), (scarf, 2)));

        Assert.Equal(PlaceOrderOutcome.Short, result.Outcome);
        Assert.Equal(("2", 1), (Assert.Single(result.Unsourced).LineId, result.Unsourced[0].Available));
        Assert.Equal(0, (await Network.Item(_grains, warehouse, bag).GetLevel()).Allocated);
    }

    [Fact]
    public async Task Cancellation_full_partial_and_repeated_restores_stock_exactly_once()
    {
        var (bag, scarf) = (Network.Unique("BAG"), Network.Unique("SCARF"));
        var warehouse = await Warehouse();
        await Network.Stock(_grains, warehouse, bag, 5);
        await Network.Stock(_grains, warehouse, scarf, 5);
        await WaitForNetwork(scarf, 5);
        var order = _grains.GetGrain<IOrderGrain>(Network.Unique("ORD"));
        await order.Place(Order("C1", (bag, 3), (scarf, 2)));
        var fulfilment = _grains.GetGrain<Oms.Contracts.Fulfilments.IFulfilmentGrain>(order.GetPrimaryKeyString());

        // The API sets the actor from the credential; Orleans carries it to the order and on to its stock items.
        Oms.Contracts.Security.ActorContext.Set("key:0123456789abcdef", "care console");
        var partial = await fulfilment.Cancel(new CancelOrder("CX-1", "customer changed mind", [new CancelLine("1", 2)], "care:agent-7"));
        var replay = await fulfilment.Cancel(new CancelOrder("CX-1", "customer changed mind", [new CancelLine("1", 2)], "care:agent-7"));
        var tooMuch = await fulfilment.Cancel(new CancelOrder("CX-2", "again", [new CancelLine("1", 2)], "care:agent-7"));

        Assert.Equal(CancelOutcome.Cancelled, partial.Outcome);
        Assert.Equal(OrderStatus.PartiallyCancelled, partial.Order!.Status);
        Assert.Equal(CancelOutcome.Replayed, replay.Outcome);
        Assert.Equal((CancelOutcome.Invalid, "lines[0].quantity"), (tooMuch.Outcome, tooMuch.Field));
        Assert.Equal(1, (await Network.Item(_grains, warehouse, bag).GetLevel()).Allocated);

        var full = await fulfilment.Cancel(new CancelOrder("CX-3", "out of stock at the carrier", null, "system"));
        Assert.Equal(OrderStatus.Cancelled, full.Order!.Status);
        Assert.All(full.Order.Lines, l => Assert.Equal(LineStatus.Cancelled, l.Status));
        Assert.Equal((0, 5), ((await Network.Item(_grains, warehouse, bag).GetLevel()).Allocated, (await Network.Item(_grains, warehouse, bag).GetLevel()).Available));
        Assert.Equal(0, (await Network.Item(_grains, warehouse, scarf).GetLevel()).Allocated);
        Assert.Equal(CancelOutcome.NotCancellable, (await fulfilment.Cancel(new CancelOrder("CX-4", "again", null, "system"))).Outcome);
        Assert.Contains((await order.Get())!.Timeline, e => e.Type == "cancelled" && e.Actor == "key:0123456789abcdef" && e.ActorName == "care console");
        var ledger = await Network.Item(_grains, warehouse, bag).GetLedger(0, 100);
        Assert.Contains(ledger.Entries, e => e.Kind == "allocationCancelled" && e.Actor == "key:0123456789abcdef");
    }

    [Fact]
    public async Task A_reservations_holds_become_the_orders_allocations_and_cannot_be_used_twice()
    {
        var sku = Network.Unique("BAG");
        var warehouse = await Warehouse();
        await Network.Stock(_grains, warehouse, sku, 2);
        var reservationId = Network.Unique("RES");
        await _grains.GetGrain<IReservationGrain>(reservationId).Create(new([new ReservationLine(sku, warehouse, 2)], 600));

        var first = await _grains.GetGrain<IOrderGrain>(Network.Unique("ORD")).Place(Order("C1", (sku, 2)) with { ReservationId = reservationId });
        var second = await _grains.GetGrain<IOrderGrain>(Network.Unique("ORD")).Place(Order("C2", (sku, 2)) with { ReservationId = reservationId });

        Assert.Equal(PlaceOrderOutcome.Created, first.Outcome);
        Assert.Equal(warehouse, first.Order!.Fulfilments.Single().LocationId);
        var level = await Network.Item(_grains, warehouse, sku).GetLevel();
        Assert.Equal((0, 2, 0), (level.Reserved, level.Allocated, level.Available));
        Assert.Equal(PlaceOrderOutcome.ReservationUnusable, second.Outcome);
        Assert.Equal(ReservationStatus.Consumed, (await _grains.GetGrain<IReservationGrain>(reservationId).Get())!.Status);
    }

    [Fact]
    public async Task Click_and_collect_picks_up_what_the_boutique_has_and_transfers_the_rest()
    {
        var (bag, scarf) = (Network.Unique("BAG"), Network.Unique("SCARF"));
        var boutique = Network.Unique("BQ");
        await _grains.GetGrain<ILocationGrain>(boutique).Upsert(new LocationInfo(boutique, boutique, LocationType.Boutique, 48.86, 2.33, "FR", "Europe/Paris"));
        var warehouse = await Warehouse();
        await Network.Stock(_grains, boutique, bag, 1);
        await Network.Stock(_grains, warehouse, scarf, 3);
        await WaitForNetwork(scarf, 3);
        await WaitForNetwork(bag, 1);

        var result = await _grains.GetGrain<IOrderGrain>(Network.Unique("ORD")).Place(Order("C1", (bag, 1), (scarf, 1)) with
        {
            Delivery = new Delivery(DeliveryMethod.ClickAndCollect, null, boutique),
        });

        Assert.Equal(PlaceOrderOutcome.Created, result.Outcome);
        Assert.Equal([(boutique, FulfilmentMode.Pickup), (warehouse, FulfilmentMode.Transfer)],
            result.Order!.Fulfilments.Select(f => (f.LocationId, f.Mode)));
        Assert.Equal(1, (await Network.Item(_grains, boutique, bag).GetLevel()).Allocated);
        Assert.Equal(1, (await Network.Item(_grains, warehouse, scarf).GetLevel()).Allocated);
    }

    [Fact]
    public async Task A_boutique_at_its_daily_ship_capacity_is_passed_over_for_the_next_best_location()
    {
        var sku = Network.Unique("BAG");
        var boutique = Network.Unique("BQ");
        await _grains.GetGrain<ILocationGrain>(boutique).Upsert(new LocationInfo(
            boutique, boutique, LocationType.Boutique, 48.86, 2.33, "FR", "Europe/Paris", DailyShipCapacity: 1));
        var warehouse = await Warehouse(43.3, 5.4);
        await Network.Stock(_grains, boutique, sku, 5);
        await Network.Stock(_grains, warehouse, sku, 5);
        await WaitForNetwork(sku, 10);
        // Boutiques first for this test, so the first order takes the boutique's one slot today.
        var profile = SourcingProfile.Default("web-shipToHome") with { TypePreference = [LocationType.Boutique, LocationType.Warehouse] };
        await _grains.GetGrain<ISourcingProfileGrain>("web-shipToHome").Put(profile);
        try
        {
            var first = await _grains.GetGrain<IOrderGrain>(Network.Unique("ORD")).Place(Order("C1", (sku, 1)));
            var second = await _grains.GetGrain<IOrderGrain>(Network.Unique("ORD")).Place(Order("C2", (sku, 1)));

            Assert.Equal(boutique, first.Order!.Fulfilments.Single().LocationId);
            Assert.Equal(warehouse, second.Order!.Fulfilments.Single().LocationId);
            Assert.Equal(1, (await _grains.GetGrain<ILocationGrain>(boutique).GetShipLoad()).Assigned);
        }
        finally
        {
            await _grains.GetGrain<ISourcingProfileGrain>("web-shipToHome").Put(SourcingProfile.Default("web-shipToHome"));
        }
    }
}
