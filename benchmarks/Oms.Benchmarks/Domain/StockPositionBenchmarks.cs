using BenchmarkDotNet.Attributes;
using Oms.Grains.Stock;

namespace Oms.Benchmarks.Domain;

/// <summary>The stock rules alone, without Orleans, messaging or storage: the floor under the grain figures.</summary>
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class StockPositionBenchmarks
{
    /// <summary>Enough distinct ids that one is never reused while its hold is still open.</summary>
    private const int IdRing = 1024;

    // A fixed clock: the rules take time as an argument, and a still clock keeps every open hold open.
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset HoldExpiry = Now.AddMinutes(15);

    private StockPosition _position = null!;
    private string[] _ids = null!;

    // Reused so the figure is the rules' cost, not a list per call; the movements themselves still allocate.
    private readonly List<StockMovement> _movements = [];
    private int _next;

    /// <summary>0 is a quiet SKU; 5,000 is a drop, where every open checkout holds a unit.</summary>
    [Params(0, 5_000)]
    public int OpenHolds { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _position = new StockPosition();
        _position.ApplySnapshot(1, 1_000_000, 0, Now, _movements);
        for (var i = 0; i < OpenHolds; i++)
        {
            _position.PlaceHold($"open-{i}", 1, Now.AddHours(1), Now, _movements);
        }

        _movements.Clear();

        // Made up front so the figure is the rules' cost, not string formatting.
        _ids = [.. Enumerable.Range(0, IdRing).Select(i => $"bench-{i}")];
    }

    [Benchmark]
    public HoldDecision PlaceAndReleaseHold()
    {
        var id = _ids[_next];
        _next = (_next + 1) % IdRing;
        _movements.Clear();
        var decision = _position.PlaceHold(id, 1, HoldExpiry, Now, _movements);
        _position.ReleaseHold(id, Now, _movements);

        // Stands in for the grain's Prune: without it the released-id memory grows by one per invocation,
        // millions over a run, and a reused id would be refused as already released.
        _position.ReleasedHolds?.Remove(id);
        return decision;
    }

    [Benchmark]
    public int ReadAvailable() => _position.Available;
}
