using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using Oms.Benchmarks.Grains;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Contracts.Returns;
using Oms.Grains.Fulfilments;
using Oms.Grains.Returns;

namespace Oms.Benchmarks.Returns;

/// <summary>
/// What one return costs (issue #14): authorising one unit of a delivered 3-line order and receiving it back as
/// resellable, once as the pure <see cref="ReturnBook"/> and once through <see cref="IReturnsGrain"/> on the in-memory
/// <see cref="BenchmarkCluster"/>, as ratios to one existing grain call, a fulfilment's <c>accepted</c> report (the
/// cheapest write a location makes, timed in <c>FulfilmentEventBenchmarks</c> too). The grain path asks the
/// fulfilment what reached the customer and the location whether it takes returns, writes its state twice, puts the
/// unit back on hand at the warehouse (a ledger append), and tells the order and the receiving queue.
/// </summary>
/// <remarks>
/// A return takes units that were delivered and not yet returned, and a report on an order that already took it is
/// a replay, so every grain case needs fresh orders: <see cref="PrepareBatch"/> places <see cref="Batch"/> orders left
/// at <c>requested</c> and <see cref="Batch"/> more shipped and delivered, before every iteration, untimed. Every case
/// runs that same setup, so each measured iteration follows the same load whatever it measures.
/// </remarks>
[Config(typeof(Config))]
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class ReturnBenchmarks
{
    /// <summary>Grain calls (reports, or returns) per measured iteration.</summary>
    public const int Batch = 50;

    /// <summary>
    /// Domain returns per measured iteration: iteration setup forces one invocation per iteration, and 50 book
    /// operations of a few microseconds would be too short a span to time.
    /// </summary>
    public const int DomainBatch = 1_000;

    /// <summary>The warehouse every return goes back to: a warehouse takes returns without a capability to check.</summary>
    private static readonly string ReturnTo = BenchmarkCluster.Locations[0].LocationId;

    private static readonly string[] Skus = ["BENCH-RET-BAG", "BENCH-RET-SCARF", "BENCH-RET-SHOE"];

    private static readonly ReturnOptions Options = new();
    private static readonly Doer Care = new("key:bench-care", "benchmark care");

    private BenchmarkCluster _cluster = null!;
    private PlaceOrder _order = null!;
    private AftercareFacts _facts = null!;
    private readonly List<(IFulfilmentGrain Grain, string FulfilmentId)> _requested = new(Batch);
    private readonly List<string> _delivered = new(Batch);
    private long _sequence;

    [GlobalSetup]
    public async Task Setup()
    {
        _cluster = await BenchmarkCluster.StartAsync();
        _order = await _cluster.SeedCheckoutAsync(Skus);

        // The domain case's order: the same three lines, all delivered yesterday, so the window is open.
        _facts = new AftercareFacts(
            _order,
            [.. _order.Lines.Select(l => new HandedUnits(l.LineId, l.Quantity, DateTimeOffset.UtcNow.AddDays(-1)))],
            new Dictionary<string, int>(), new Dictionary<string, int>(), []);

        // One of each before anything is timed, so a wrong answer stops the run here rather than being measured.
        var (grain, fulfilmentId) = await PlaceRequested("bench-ret-check-a");
        await Expect(grain.Report(fulfilmentId, new FulfilmentReport("e-accepted", FulfilmentReportType.Accepted), null));
        await ReturnOne(await PlaceDelivered("bench-ret-check-b"));
        DomainReturn(0);
    }

    [GlobalCleanup]
    public Task Cleanup() => _cluster.DisposeAsync().AsTask();

    /// <summary>Synchronous: BenchmarkDotNet runs iteration setup outside the timed region but does not await it everywhere.</summary>
    [IterationSetup]
    public void PrepareBatch()
    {
        _requested.Clear();
        _delivered.Clear();
        for (var i = 0; i < Batch; i++)
        {
            _requested.Add(PlaceRequested($"bench-ret-a-{++_sequence}").GetAwaiter().GetResult());
            _delivered.Add(PlaceDelivered($"bench-ret-d-{++_sequence}").GetAwaiter().GetResult());
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public async Task FulfilmentReportAccepted()
    {
        foreach (var (grain, fulfilmentId) in _requested)
        {
            await Expect(grain.Report(fulfilmentId, new FulfilmentReport($"a-{fulfilmentId}", FulfilmentReportType.Accepted), null));
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task GrainAuthoriseAndReceive()
    {
        foreach (var orderId in _delivered)
        {
            await ReturnOne(orderId);
        }
    }

    [Benchmark(OperationsPerInvoke = DomainBatch)]
    public void DomainAuthoriseAndReceive()
    {
        for (var i = 0; i < DomainBatch; i++)
        {
            DomainReturn(i);
        }
    }

    private const int WarmUpPairs = 5;

    /// <summary>
    /// The same cases interleaved (<see cref="Infrastructure.PairedBlocks"/>): BenchmarkDotNet runs each case in its own
    /// process, one after another, so its Ratio column compares different minutes of a shared machine. Here every
    /// block, of either side, first prepares its fresh orders untimed (as <see cref="PrepareBatch"/> does), then times
    /// <see cref="Batch"/> reports or returns (or <see cref="DomainBatch"/> book returns); the ratio is per pair of
    /// adjacent blocks.
    /// </summary>
    public static async Task RunPairedAsync(int pairs, TextWriter log)
    {
        var bench = new ReturnBenchmarks();
        await bench.Setup();
        try
        {
            log.WriteLine($"returns, in memory, one silo: {pairs} pairs of blocks per row, ABBA, after {WarmUpPairs} warm-up pairs; each block after {Batch} + {Batch} untimed orders");
            log.WriteLine("| Path | Report median (us) | Path median (us) | Median ratio (per pair) | Ratio P25-P75 |");
            log.WriteLine("| --- | ---: | ---: | ---: | ---: |");
            await Pair("grain: Authorise + Receive", () => bench.GrainAuthoriseAndReceive(), Batch);
            await Pair("domain: ReturnBook.Authorise + Receive", () => { bench.DomainAuthoriseAndReceive(); return Task.CompletedTask; }, DomainBatch);
        }
        finally
        {
            await bench.Cleanup();
        }

        async Task Pair(string label, Func<Task> other, int operations)
        {
            var r = await Infrastructure.PairedBlocks.Run(pairs, WarmUpPairs,
                () => Block(bench.FulfilmentReportAccepted, Batch), () => Block(other, operations));
            log.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"| {label} | {r.BaselineMedian:0.0} | {r.OtherMedian:0.0} | {r.MedianRatio:0.000} | {r.RatioP25:0.000}-{r.RatioP75:0.000} |"));
        }

        async Task<double> Block(Func<Task> batch, int operations)
        {
            bench.PrepareBatch();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await batch();
            return clock.Elapsed.TotalMicroseconds / operations;
        }
    }

    /// <summary>A fresh book each time: a second return of the same unit would be refused, and so cost less.</summary>
    private void DomainReturn(int i)
    {
        var book = new ReturnBook { OrderId = "ORD-bench" };
        var now = DateTimeOffset.UtcNow;
        var authorised = book.Authorise(
            new AuthoriseReturn($"key-{i}", [new ReturnLineRequest("1", 1, ReturnReason.DoesNotFit)], ReturnMethod.ShipBack, ReturnTo, null),
            _facts, now, Care, Options);
        if (authorised.Outcome != ReturnOutcome.Authorised)
        {
            throw new InvalidOperationException($"The book's authorisation was {authorised.Outcome}: {authorised.Message}");
        }

        var received = book.Receive(authorised.Return!.Id,
            new ReceiveReturn("e-1", ReturnTo, [new ReceiveLine("1", 1, ReturnCondition.Resellable)]), now, Care, Options);
        if (received.Outcome != ReturnOutcome.Received)
        {
            throw new InvalidOperationException($"The book's receipt was {received.Outcome}: {received.Message}");
        }
    }

    private async Task ReturnOne(string orderId)
    {
        var grain = _cluster.Grains.GetGrain<IReturnsGrain>(orderId);
        var authorised = await grain.Authorise(new AuthoriseReturn(
            $"key:bench|{orderId}", [new ReturnLineRequest("1", 1, ReturnReason.DoesNotFit)], ReturnMethod.ShipBack, ReturnTo, null));
        if (authorised.Outcome != ReturnOutcome.Authorised)
        {
            throw new InvalidOperationException($"Authorisation was {authorised.Outcome}: {authorised.Field} {authorised.Rule} {authorised.Message}");
        }

        var received = await grain.Receive(authorised.Return!.ReturnId,
            new ReceiveReturn($"r-{orderId}", ReturnTo, [new ReceiveLine("1", 1, ReturnCondition.Resellable)]), null);
        if (received.Outcome != ReturnOutcome.Received)
        {
            throw new InvalidOperationException($"Receipt was {received.Outcome}: {received.Field} {received.Message}");
        }
    }

    private Task<(IFulfilmentGrain Grain, string FulfilmentId)> PlaceRequested(string orderId) => _cluster.PlaceFreshAsync(_order, orderId);

    /// <summary>An order whose parcel reached the customer: shipped straight from requested (the steps between are implied), then delivered.</summary>
    private async Task<string> PlaceDelivered(string orderId)
    {
        var (grain, fulfilmentId) = await PlaceRequested(orderId);
        await Expect(grain.Report(fulfilmentId, new FulfilmentReport("s", FulfilmentReportType.Shipped, Carrier: "DHL", TrackingNumber: "JD0001"), null));
        await Expect(grain.Report(fulfilmentId, new FulfilmentReport("d", FulfilmentReportType.Delivered), null));
        return orderId;
    }

    private static Task Expect(Task<FulfilmentReportResult> report) => BenchmarkCluster.ExpectApplied(report);

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // Iteration setup needs one invocation per iteration; the batches give each iteration many operations.
            // A short job: the machine has 2 cores and is shared; the ratio is the figure, not the mean.
            AddJob(Job.Default
                .WithStrategy(RunStrategy.Throughput)
                .WithLaunchCount(1)
                .WithWarmupCount(5)
                .WithIterationCount(20)
                .WithInvocationCount(1)
                .WithUnrollFactor(1)
                .WithId("ReturnsShort"));
        }
    }
}
