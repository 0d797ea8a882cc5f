using Npgsql;
using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Reservations;
using Oms.Contracts.Stock;
using Oms.Grains.Hosting;
using Oms.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Oms.Tests.Persistence;

/// <summary>Real PostgreSQL behind the real ADO.NET providers, through our own schema scripts.</summary>
[Collection("postgres")]
public sealed class PostgresDurabilityTests(PostgresFixture postgres)
{
    private Task<string> FreshDatabase() => postgres.CreateOmsDatabaseAsync("oms_durability");

    [Fact]
    public async Task The_schema_applies_twice_and_concurrently_without_error()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("oms_schema");

        await Task.WhenAll(SchemaInstaller.ApplyAsync(connectionString), SchemaInstaller.ApplyAsync(connectionString));
        await SchemaInstaller.ApplyAsync(connectionString);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleansquery", connection);
        Assert.True((long)(await command.ExecuteScalarAsync())! >= 20);
    }

    [Fact]
    public async Task Positions_holds_reservations_and_locations_survive_a_whole_cluster_restart()
    {
        var connectionString = await FreshDatabase();
        var serviceId = Network.Unique("svc");
        string warehouse, boutique;

        await using (var first = await TestClusters.StartAsync(connectionString, serviceId))
        {
            var grains = first.Client;
            warehouse = await Network.Location(grains, LocationType.Warehouse);
            boutique = await Network.Location(grains, LocationType.Boutique);
            await Network.Item(grains, warehouse, "BAG-1").ApplySnapshot(7, 20, 2);
            await Network.Item(grains, warehouse, "BAG-1").ApplyAdjustment("ADJ-1", -1, "damaged");
            await Network.Stock(grains, boutique, "BAG-1", 3);
            var created = await grains.GetGrain<IReservationGrain>("RES-1")
                .Create(new([new("BAG-1", warehouse, 4), new("BAG-1", boutique, 1)], 3600));
            Assert.Equal(ReservationOutcome.Created, created.Outcome);
            await grains.GetGrain<IReservationGrain>("RES-2").Create(new([new("BAG-1", warehouse, 1)], 3600));
            await grains.GetGrain<IReservationGrain>("RES-2").Release();
            await Network.Stock(grains, warehouse, "BAG-2", 5);
            await Network.Item(grains, warehouse, "BAG-2").PlaceHold("hold:H-1", 2, DateTimeOffset.UtcNow.AddHours(1));
            await Network.Item(grains, warehouse, "BAG-2").PlaceHold("hold:H-2", 1, DateTimeOffset.UtcNow.AddHours(1));
            await Network.Item(grains, warehouse, "BAG-2").ReleaseHold("hold:H-2");
            await Eventually.Until(
                () => grains.GetGrain<ISkuAvailabilityGrain>("BAG-1").Get(), v => v.Available == 15, TimeSpan.FromSeconds(2), "view settled");
            // The view persists lazily; give its flush timer a beat so the restart tests what was written.
            await Task.Delay(1500);
        }

        await using var second = await TestClusters.StartAsync(connectionString, serviceId);
        var after = second.Client;

        Assert.Equal(new StockLevel("BAG-1", warehouse, 19, 2, 4, 0, 13), await Network.Item(after, warehouse, "BAG-1").GetLevel());
        Assert.Equal(new StockLevel("BAG-1", boutique, 3, 0, 1, 0, 2), await Network.Item(after, boutique, "BAG-1").GetLevel());
        Assert.Equal(ReservationStatus.Held, (await after.GetGrain<IReservationGrain>("RES-1").Get())!.Status);
        Assert.Equal(ReservationStatus.Released, (await after.GetGrain<IReservationGrain>("RES-2").Get())!.Status);
        Assert.Equal(LocationType.Boutique, (await after.GetGrain<ILocationGrain>(boutique).Get())!.Type);
        Assert.Contains(await after.GetGrain<ILocationDirectoryGrain>(ILocationDirectoryGrain.Key).List(), l => l.LocationId == warehouse);
        Assert.Equal(15, (await after.GetGrain<ISkuAvailabilityGrain>("BAG-1").Get()).Available);

        // Idempotency records are durable too: replays after the restart change nothing.
        Assert.Equal(StockOutcome.Duplicate, (await Network.Item(after, warehouse, "BAG-1").ApplyAdjustment("ADJ-1", -1, "damaged")).Outcome);
        Assert.Equal(StockOutcome.Stale, (await Network.Item(after, warehouse, "BAG-1").ApplySnapshot(6, 100, null)).Outcome);
        Assert.Equal(HoldOutcome.Conflict, (await Network.Item(after, warehouse, "BAG-1").PlaceHold("RES-2", 1, DateTimeOffset.UtcNow.AddHours(1))).Outcome);
        Assert.Equal(ReservationOutcome.Replayed, (await after.GetGrain<IReservationGrain>("RES-1")
            .Create(new([new("BAG-1", warehouse, 4), new("BAG-1", boutique, 1)], 3600))).Outcome);
        Assert.Equal(4, (await Network.Item(after, warehouse, "BAG-1").GetLevel()).Reserved);

        // Direct holds: an open one from the ledger's fold, an ended one from the ledger itself.
        var open = await Network.Item(after, warehouse, "BAG-2").GetHold("hold:H-1");
        Assert.Equal((HoldStatus.Held, 2), (open!.Status, open.Quantity));
        Assert.NotNull(open.PlacedAt);
        var ended = await Network.Item(after, warehouse, "BAG-2").GetHold("hold:H-2");
        Assert.Equal((HoldStatus.Released, 1), (ended!.Status, ended.Quantity));
        Assert.NotNull(ended.EndedAt);
        Assert.Null(await Network.Item(after, warehouse, "BAG-2").GetHold("hold:H-3"));
    }

    [Fact]
    public async Task Acknowledged_holds_survive_a_silo_crash()
    {
        var connectionString = await FreshDatabase();
        await using var cluster = await TestClusters.StartAsync(connectionString, Network.Unique("svc"));
        var grains = cluster.Client;
        var location = await Network.Location(grains);
        var skus = Enumerable.Range(0, 12).Select(i => $"SKU-{i}").ToArray();
        foreach (var sku in skus)
        {
            await Network.Stock(grains, location, sku, 10);
            Assert.Equal(HoldOutcome.Held, (await Network.Item(grains, location, sku).PlaceHold("RES-A", 3, DateTimeOffset.UtcNow.AddHours(1))).Outcome);
        }

        // Twelve items spread over two silos: some of them lived on the one that dies without a goodbye.
        await cluster.KillSiloAsync(cluster.Silos[1]);

        foreach (var sku in skus)
        {
            var level = await Network.Item(grains, location, sku).GetLevel();
            Assert.Equal((10, 3, 7), (level.OnHand, level.Reserved, level.Available));
        }
    }

    [Fact]
    public async Task A_reservation_half_placed_when_the_cluster_died_is_rolled_back_by_itself()
    {
        var connectionString = await FreshDatabase();
        var serviceId = Network.Unique("svc");
        var hanging = FaultInjection.HangingSkuPrefix + "B";
        string location;

        var first = await TestClusters.StartAsync(connectionString, serviceId);
        var grains = first.Client;
        location = await Network.Location(grains);
        await Network.Stock(grains, location, "A", 5);
        await Network.Stock(grains, location, hanging, 5);

        // Lines are placed in key order, so "A" is held and durable while the hold on the hanging SKU stalls.
        _ = grains.GetGrain<IReservationGrain>("RES-CRASH").Create(new([new("A", location, 2), new(hanging, location, 1)], 3600));
        await Eventually.Until(() => Network.Item(grains, location, "A").GetLevel(), l => l.Reserved == 2, TimeSpan.FromSeconds(5), "the first line is held");

        // Both at once: killed one by one, the survivor may see its call fail and roll back the ordinary way.
        await Task.WhenAll(first.Silos.ToList().Select(silo => first.KillSiloAsync(silo)));
        await first.DisposeAsync();

        await using var second = await TestClusters.StartAsync(connectionString, serviceId);
        var after = second.Client;

        // Nobody touches the reservation: its watch reminder must find it and give the units back.
        await Eventually.Until(() => Network.Item(after, location, "A").GetLevel(), l => l.Reserved == 0, TimeSpan.FromSeconds(40), "the orphaned hold is rolled back");
        Assert.Null(await after.GetGrain<IReservationGrain>("RES-CRASH").Get());
        Assert.Equal(0, (await Network.Item(after, location, hanging).GetLevel()).Reserved);
    }

    [Fact]
    public async Task A_checkout_interrupted_by_a_silo_crash_ends_fully_rolled_back_with_no_orphan_allocation()
    {
        var connectionString = await FreshDatabase();
        var serviceId = Network.Unique("svc");
        var hanging = FaultInjection.HangingSkuPrefix + "SCARF";
        var first = await TestClusters.StartAsync(connectionString, serviceId);
        var grains = first.Client;
        var location = await Network.Location(grains);
        await Network.Stock(grains, location, "BAG", 5);
        await Network.Stock(grains, location, hanging, 5);
        // Sourcing reads the network view, which stock reaches asynchronously: both SKUs must be in it, or the order is refused.
        foreach (var sku in new[] { "BAG", hanging })
            await Eventually.Until(() => grains.GetGrain<Oms.Contracts.ClickAndCollect.INetworkGrain>(0)
                .GetAvailability(sku, Oms.Contracts.ClickAndCollect.AvailabilityView.Online), v => v.Available == 5, TimeSpan.FromSeconds(15), $"network view of {sku} ready");

        // Slices are allocated in stock-item key order: BAG is allocated and durable while the scarf stalls.
        Task Place() => grains.GetGrain<Oms.Contracts.Orders.IOrderGrain>("ORD-CRASH").Place(new Oms.Contracts.Orders.PlaceOrder(
            Oms.Contracts.Orders.OrderChannel.Web, new Oms.Contracts.Orders.Customer("C1", null, null),
            [new("1", "BAG", 2, 10m, "EUR"), new("2", hanging, 1, 10m, "EUR")],
            new Oms.Contracts.Orders.Delivery(Oms.Contracts.Orders.DeliveryMethod.ShipToHome,
                new Oms.Contracts.Orders.DeliveryAddress("1 Main St", "Paris", null, "FR", 48.86, 2.34), null), null));

        // A checkout that fails fast (503: a fresh silo's reminder service still loading) is retried, as a client would.
        var placing = Place();
        await Eventually.Until(() =>
        {
            if (placing.IsFaulted)
            {
                placing = Place();
            }

            return Network.Item(grains, location, "BAG").GetLevel();
        }, l => l.Allocated == 2, TimeSpan.FromSeconds(30), "the first slice is allocated");

        await Task.WhenAll(first.Silos.ToList().Select(silo => first.KillSiloAsync(silo)));
        await first.DisposeAsync();

        await using var second = await TestClusters.StartAsync(connectionString, serviceId);
        var after = second.Client;
        await Eventually.Until(() => Network.Item(after, location, "BAG").GetLevel(), l => l.Allocated == 0, TimeSpan.FromSeconds(90), "the orphan allocation is rolled back (the recovery reminder, within a period)");
        Assert.Null(await after.GetGrain<Oms.Contracts.Orders.IOrderGrain>("ORD-CRASH").Get());
        Assert.Equal(0, (await Network.Item(after, location, hanging).GetLevel()).Allocated);
        Assert.True((await Network.Item(after, location, "BAG").Verify()).Consistent);
    }
}
