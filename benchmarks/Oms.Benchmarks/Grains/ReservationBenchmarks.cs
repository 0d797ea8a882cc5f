using BenchmarkDotNet.Attributes;
using Oms.Contracts.Reservations;

namespace Oms.Benchmarks.Grains;

/// <summary>A checkout reservation of one SKU at three locations, created and released.</summary>
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class ReservationBenchmarks
{
    private const string Sku = "BENCH-RES";

    private BenchmarkCluster _cluster = null!;
    private ReservationRequest _threeLines = null!;
    private long _sequence;

    [GlobalSetup]
    public async Task Setup()
    {
        _cluster = await BenchmarkCluster.StartAsync();
        await _cluster.SeedAsync(Sku);

        // The shortest TTL the API accepts, for the reason given on StockHoldBenchmarks: released ids are
        // remembered until the TTL ends, and a longer one would grow the stock items through the run.
        _threeLines = new ReservationRequest(
            [.. BenchmarkCluster.Locations.Select(l => new ReservationLine(Sku, l.LocationId, 1))],
            TtlSeconds: 1);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        foreach (var location in BenchmarkCluster.Locations)
        {
            Console.WriteLine($"// {await _cluster.DescribeLedgerAsync(location.LocationId, Sku)}");
        }

        await _cluster.DisposeAsync();
    }

    [Benchmark]
    public async Task ThreeLineReservation()
    {
        // Fresh every time: a reused id would replay the first reservation instead of placing holds.
        var reservation = _cluster.Grains.GetGrain<IReservationGrain>($"res-{++_sequence}");
        var result = await reservation.Create(_threeLines);
        if (result.Outcome != ReservationOutcome.Created)
        {
            throw new InvalidOperationException($"Reservation was {result.Outcome}");
        }

        await reservation.Release();
    }
}
