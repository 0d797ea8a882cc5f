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
        _order = await _cluster.SeedCheckoutAsync(Skus);
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
