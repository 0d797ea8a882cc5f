using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using Oms.Benchmarks.Grains;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Contracts.Stock;

namespace Oms.Benchmarks.Fulfilment;

/// <summary>
/// What one fulfilment report costs at the grain (issue #13), as a ratio to one 3-line checkout
/// (<see cref="IOrderGrain.Place"/>, the same order as <see cref="CheckoutBenchmarks"/>) and to one exact stock read,
/// on the in-memory <see cref="BenchmarkCluster"/>. <c>accepted</c> changes the fulfilment's status only (state
/// write, the order told, the location's queue updated); <c>shipped</c> from <c>requested</c> also implies accepted
/// and packed and moves the allocated units off on hand at three stock items.
/// </summary>
/// <remarks>
/// A report on an order that already took it is a replay (or behind the status), answered without work, so every
/// report needs a fresh order: <see cref="PlaceBatch"/> places <see cref="Batch"/> orders before every iteration,
/// untimed, and each invocation reports once on each of them (<c>OperationsPerInvoke</c>). Every case runs the same
/// setup, so each measured iteration follows the same load whatever it measures; the checkout baseline places its
/// own, further orders.
/// </remarks>
[Config(typeof(Config))]
[MemoryDiagnoser]
// Not sealed: BenchmarkDotNet derives its runner from the benchmark class and refuses sealed ones.
public class FulfilmentEventBenchmarks
{
    /// <summary>Reports (or checkouts, or reads) per measured iteration.</summary>
    public const int Batch = 50;

    private static readonly string[] Skus = ["BENCH-FUL-BAG", "BENCH-FUL-SCARF", "BENCH-FUL-SHOE"];

    private BenchmarkCluster _cluster = null!;
    private PlaceOrder _order = null!;
    private IStockItemGrain _stockItem = null!;
    private readonly List<(IFulfilmentGrain Grain, string FulfilmentId)> _fresh = new(Batch);
    private long _sequence;

    [GlobalSetup]
    public async Task Setup()
    {
        _cluster = await BenchmarkCluster.StartAsync();
        _order = await _cluster.SeedCheckoutAsync(Skus);
        _stockItem = _cluster.StockItem(BenchmarkCluster.Locations[0].LocationId, Skus[0]);

        // One whole lifecycle before anything is timed: every report answers Applied on a fresh order.
        var (grain, fulfilmentId) = await PlaceOne("bench-ful-check");
        await Expect(grain.Report(fulfilmentId, new FulfilmentReport("e-accepted", FulfilmentReportType.Accepted), null));
        await Expect(grain.Report(fulfilmentId, new FulfilmentReport("e-shipped", FulfilmentReportType.Shipped, Carrier: "DHL", TrackingNumber: "JD0"), null));
    }

    [GlobalCleanup]
    public Task Cleanup() => _cluster.DisposeAsync().AsTask();

    /// <summary>Synchronous: BenchmarkDotNet runs iteration setup outside the timed region but does not await it everywhere.</summary>
    [IterationSetup]
    public void PlaceBatch()
    {
        _fresh.Clear();
        for (var i = 0; i < Batch; i++)
        {
            _fresh.Add(PlaceOne($"bench-ful-{++_sequence}").GetAwaiter().GetResult());
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public async Task ThreeLineCheckout()
    {
        for (var i = 0; i < Batch; i++)
        {
            await PlaceOne($"bench-ful-base-{++_sequence}");
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task ExactStockRead()
    {
        for (var i = 0; i < Batch; i++)
        {
            await _stockItem.GetLevel();
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task ReportAccepted()
    {
        foreach (var (grain, fulfilmentId) in _fresh)
        {
            await Expect(grain.Report(fulfilmentId, new FulfilmentReport($"a-{fulfilmentId}", FulfilmentReportType.Accepted), null));
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task ReportShipped()
    {
        foreach (var (grain, fulfilmentId) in _fresh)
        {
            await Expect(grain.Report(fulfilmentId,
                new FulfilmentReport($"s-{fulfilmentId}", FulfilmentReportType.Shipped, Carrier: "DHL", TrackingNumber: "JD0001"), null));
        }
    }

    private const int WarmUpPairs = 5;

    /// <summary>
    /// The same cases interleaved (<see cref="Infrastructure.PairedBlocks"/>): BenchmarkDotNet runs each case in its own
    /// process, one after another, so its Ratio column compares different minutes of a shared machine. Here every
    /// block, of either side, first places <paramref name="perBlock"/> fresh orders untimed (as
    /// <see cref="PlaceBatch"/> does), then times <paramref name="perBlock"/> checkouts or reports; the ratio is per
    /// pair of adjacent blocks.
    /// </summary>
    public static async Task RunPairedAsync(int pairs, int perBlock, TextWriter log)
    {
        var bench = new FulfilmentEventBenchmarks();
        await bench.Setup();
        try
        {
            log.WriteLine($"fulfilment reports at the grain, in memory, one silo: {pairs} pairs of {perBlock}-call blocks per row, ABBA, after {WarmUpPairs} warm-up pairs; each block after {perBlock} untimed checkouts");
            log.WriteLine("| Report | Checkout median (us) | Report median (us) | Median ratio (per pair) | Ratio P25-P75 |");
            log.WriteLine("| --- | ---: | ---: | ---: | ---: |");
            await Pair("accepted", bench.ReportAccepted);
            await Pair("shipped (moves stock at 3 items)", bench.ReportShipped);
            await Pair("exact stock read (for scale)", bench.ExactStockRead);
        }
        finally
        {
            await bench.Cleanup();
        }

        async Task Pair(string label, Func<Task> other)
        {
            var r = await Infrastructure.PairedBlocks.Run(pairs, WarmUpPairs, () => Block(bench.ThreeLineCheckout), () => Block(other));
            log.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"| {label} | {r.BaselineMedian:0.0} | {r.OtherMedian:0.0} | {r.MedianRatio:0.000} | {r.RatioP25:0.000}-{r.RatioP75:0.000} |"));
        }

        async Task<double> Block(Func<Task> batch)
        {
            // Batch is fixed by the attributes; a block is perBlock / Batch batches (at least one).
            var batches = Math.Max(1, perBlock / Batch);
            var total = 0.0;
            for (var b = 0; b < batches; b++)
            {
                bench.PlaceBatch();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                await batch();
                total += clock.Elapsed.TotalMicroseconds;
            }

            return total / (batches * Batch);
        }
    }

    private Task<(IFulfilmentGrain Grain, string FulfilmentId)> PlaceOne(string orderId) => _cluster.PlaceFreshAsync(_order, orderId);

    private static Task Expect(Task<FulfilmentReportResult> report) => BenchmarkCluster.ExpectApplied(report);

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // Iteration setup needs one invocation per iteration; the batch gives each iteration Batch operations.
            // A short job: the machine has 2 cores and is shared; the ratio is the figure, not the mean.
            AddJob(Job.Default
                .WithStrategy(RunStrategy.Throughput)
                .WithLaunchCount(1)
                .WithWarmupCount(5)
                .WithIterationCount(20)
                .WithInvocationCount(1)
                .WithUnrollFactor(1)
                .WithId("FulfilmentShort"));
        }
    }
}
