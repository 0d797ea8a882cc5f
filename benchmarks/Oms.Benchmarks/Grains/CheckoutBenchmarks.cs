using BenchmarkDotNet.Attributes;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Orders;

namespace Oms.Benchmarks.Grains;

/// <summary>A 3-line ship-to-home checkout: sourcing on the network view, then allocation at three stock items.</summary>
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class CheckoutBenchmarks
{
    private static readonly string[] Skus = ["BENCH-BAG", "BENCH-SCARF", "BENCH-SHOE"];

    private BenchmarkCluster _cluster = null!;
    private PlaceOrder _order = null!;
    private long _sequence;

    [GlobalSetup]
    public async Task Setup()
    {
        _cluster = await BenchmarkCluster.StartAsync();
        foreach (var sku in Skus)
        {
            await _cluster.SeedAsync(sku);
            await _cluster.WaitForAvailabilityAsync(sku);
        }

        // The network grain refreshes its profiles every two seconds; the first checkout must see all of them.
        await _cluster.Grains.GetGrain<INetworkGrain>(0).GetAvailability(Skus[0], AvailabilityView.Online);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        _order = new PlaceOrder(
            OrderChannel.Web, new Customer("bench-customer", null, null),
            [.. Skus.Select((sku, i) => new OrderLine($"{i + 1}", sku, 1, 100m, "EUR"))],
            new Delivery(DeliveryMethod.ShipToHome, new DeliveryAddress("1 Main St", "Paris", "75001", "FR", 48.86, 2.34), null),
            null);
    }

    [GlobalCleanup]
    public Task Cleanup() => _cluster.DisposeAsync().AsTask();

    [Benchmark]
    public async Task ThreeLineCheckout()
    {
        // A fresh order each time: the same id would be a replay, answered without sourcing or allocating.
        var result = await _cluster.Grains.GetGrain<IOrderGrain>($"bench-order-{++_sequence}").Place(_order);
        if (result.Outcome != PlaceOrderOutcome.Created)
        {
            throw new InvalidOperationException($"Checkout was {result.Outcome}: {result.Message}");
        }
    }
}
