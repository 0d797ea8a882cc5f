using BenchmarkDotNet.Attributes;
using Oms.Contracts.Stock;

namespace Oms.Benchmarks.Grains;

/// <summary>One hold placed and released on one stock item: the unit of work behind every reservation line.</summary>
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class StockHoldBenchmarks
{
    private const string Sku = "BENCH-HOLD";

    /// <summary>
    /// A released id is remembered until its hold would have expired; every commit prunes that memory and every
    /// snapshot carries it, so a long TTL makes the item grow through the run and no two iterations measure the
    /// same thing. One second, the shortest the reservation API accepts, keeps it at about one second's worth.
    /// </summary>
    private static readonly TimeSpan HoldTtl = TimeSpan.FromSeconds(1);

    private BenchmarkCluster _cluster = null!;
    private IStockItemGrain _stockItem = null!;
    private long _sequence;

    /// <summary>Other checkouts' holds already open on the item: none, or a drop's worth.</summary>
    [Params(0, 5_000)]
    public int OpenHolds { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _cluster = await BenchmarkCluster.StartAsync();
        await _cluster.SeedAsync(Sku);
        _stockItem = _cluster.StockItem(BenchmarkCluster.Locations[0].LocationId, Sku);

        // An hour outlives the run, so these stay open throughout.
        var openUntil = DateTimeOffset.UtcNow.AddHours(1);
        for (var i = 0; i < OpenHolds; i++)
        {
            await Hold($"open-{i}", openUntil);
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        Console.WriteLine($"// {await _cluster.DescribeLedgerAsync(BenchmarkCluster.Locations[0].LocationId, Sku)}");
        await _cluster.DisposeAsync();
    }

    [Benchmark]
    public async Task HoldAndRelease()
    {
        // Fresh every time: a reused id would be refused as already released, timing the refusal instead.
        var reservationId = $"hold-{++_sequence}";
        await Hold(reservationId, DateTimeOffset.UtcNow + HoldTtl);
        await _stockItem.ReleaseHold(reservationId);
    }

    private async Task Hold(string reservationId, DateTimeOffset expiresAt)
    {
        var result = await _stockItem.PlaceHold(reservationId, 1, expiresAt);
        if (result.Outcome != HoldOutcome.Held)
        {
            throw new InvalidOperationException($"Hold {reservationId} was {result.Outcome}: {result.Reason}");
        }
    }
}
