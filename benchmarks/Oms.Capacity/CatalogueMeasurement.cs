using System.Diagnostics;
using System.Text;
using Oms.Contracts.Stock;
using static System.FormattableString;
using static Oms.Capacity.Formatting;

namespace Oms.Capacity;

/// <summary>
/// A catalogue far larger than the silo's heap, served by keeping only what is read active (issue #18's memory
/// targets): the heap a flash sale's working set needs, then random first reads over the whole catalogue with the
/// hot set read between them, while the silo sheds its least recently used items to stay inside its budget.
/// </summary>
/// <remarks>
/// The budget is the GC's available memory, so run it under <c>DOTNET_GCHeapHardLimit</c>: the silo sheds at
/// the share of it that <c>OmsHosting</c> configures. Nothing here tunes the silo; it runs as a production one.
/// </remarks>
public static class CatalogueMeasurement
{
    public const long FlashSaleTargetBytes = 512L * 1024 * 1024;
    public const double ColdReadP99TargetMicroseconds = 20_000;

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(250);

    public static async Task<CapacityReport> RunAsync(CapacityArguments arguments, CancellationToken cancellationToken)
    {
        var (items, hot, reads) = (arguments.Items, arguments.Hot, arguments.Reads);
        var catalogue = new Catalogue(arguments.Locations);
        var budget = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var loadAtStart = Machine.LoadAverage();

        await Console.Error.WriteLineAsync(Invariant($"Heap budget {Bytes(budget)}. Starting PostgreSQL and loading {items:N0} positions..."));
        await using var database = await CapacityDatabase.StartAsync(cancellationToken);
        var load = await database.LoadPositionsAsync(catalogue, items, cancellationToken);
        await Console.Error.WriteLineAsync(Invariant($"Loaded in {Seconds(load.Insert)} (+{Seconds(load.Vacuum)} VACUUM ANALYZE), {Bytes(load.TableBytes)}."));

        // Orleans' own collection age and the silo's shedding, exactly as a production silo runs them.
        await using var cluster = await CapacityCluster.StartAsync(database.ConnectionString, collectionAge: null, cancellationToken);
        await catalogue.RegisterLocationsAsync(cluster.Client, cancellationToken);
        var grains = cluster.Client;
        var baseline = MemorySample.Take();

        var hotTime = await Workload.RunAsync("flash-sale items", hot, arguments.Concurrency, async i =>
        {
            var level = await grains.GetGrain<IStockItemGrain>(catalogue.StockItemKey(i)).GetLevel();
            catalogue.Verify(i, level);
        }, cancellationToken);
        await Task.Delay(Settle, cancellationToken);
        var afterHot = MemorySample.Take();
        var activeAfterHot = StockItems(await cluster.ActivationsByTypeAsync(cancellationToken));

        // Even slots read the next item of a walk that visits each of the rest once, odd ones a random hot item:
        // every catalogue read is a first read, and the flash sale stays busy meanwhile.
        var cold = new long[reads];
        var warm = new long[reads];
        var walk = new Walk(hot, items - hot);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peaks = SamplePeaksAsync(sampling.Token);
        var readsTime = await Workload.RunAsync("catalogue reads", 2 * reads, arguments.Concurrency, async n =>
        {
            var j = n / 2;
            var item = n % 2 == 0 ? walk.Item(j) : Random.Shared.Next(hot);
            var started = Stopwatch.GetTimestamp();
            var level = await grains.GetGrain<IStockItemGrain>(catalogue.StockItemKey(item)).GetLevel();
            (n % 2 == 0 ? cold : warm)[j] = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            catalogue.Verify(item, level);
        }, cancellationToken);
        await sampling.CancelAsync();
        var peak = await peaks;

        var activeAtEnd = StockItems(await cluster.ActivationsByTypeAsync(cancellationToken));
        var after = MemorySample.Take();
        await cluster.StopAsync(graceful: false);

        var coldReads = LatencySummary.Of(cold, readsTime);
        var hotReads = LatencySummary.Of(warm, readsTime);
        var touched = hot + reads;
        var shed = touched - activeAtEnd;
        var flashSaleVerdict = afterHot.ManagedHeap <= FlashSaleTargetBytes ? "met" : "MISSED";
        var coldVerdict = coldReads.P99 < ColdReadP99TargetMicroseconds ? "met" : "MISSED";
        var budgetVerdict = peak.Committed <= budget ? "held" : "EXCEEDED";

        var line =
            Invariant($"catalogue: {items:N0} positions, budget {Bytes(budget)}; flash sale of {hot:N0} items in {Bytes(afterHot.ManagedHeap)} live heap ") +
            Invariant($"(target <= 512 MiB {flashSaleVerdict}); {reads:N0} first reads p50 {Millis(coldReads.P50)} p99 {Millis(coldReads.P99)} ") +
            Invariant($"(target p99 < 20 ms {coldVerdict}); peak committed {Bytes(peak.Committed)} ({budgetVerdict}); ") +
            Invariant($"{activeAtEnd:N0} of {touched:N0} items read still active ({shed:N0} shed)");

        var markdown = new StringBuilder();
        markdown.AppendLine(Invariant($"## A catalogue larger than the heap ({items:N0} positions, {arguments.Locations} locations)"));
        markdown.AppendLine();
        markdown.AppendLine($"`DOTNET_GCHeapHardLimit={Environment.GetEnvironmentVariable("DOTNET_GCHeapHardLimit") ?? "(unset)"} dotnet run -c Release --project benchmarks/Oms.Capacity -- {string.Join(' ', arguments.CommandLine)}`");
        markdown.AppendLine();
        markdown.AppendLine($"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Machine.Describe()}. Load average (1/5/15 min): {loadAtStart} at the start, {Machine.LoadAverage()} at the end.");
        markdown.AppendLine();
        markdown.AppendLine("| Measure | Value |");
        markdown.AppendLine("|---|---:|");
        markdown.AppendLine($"| Heap budget (the GC's available memory) | {Bytes(budget)} |");
        markdown.AppendLine(Invariant($"| Positions bulk-loaded | {Count(items)} in {Seconds(load.Insert)} (+{Seconds(load.Vacuum)} VACUUM ANALYZE), {Bytes(load.TableBytes)} with indexes |"));
        markdown.AppendLine($"| Live heap at start (silo, client, the {arguments.Locations} locations' grains) | {Bytes(baseline.ManagedHeap)} |");
        markdown.AppendLine(Invariant($"| **Flash sale: {Count(hot)} items ({Count(catalogue.SkuCount(hot))} SKUs at every location) active** | **{Bytes(afterHot.ManagedHeap)} live heap** (target ≤ 512 MiB: {flashSaleVerdict}); activated in {Seconds(hotTime)} ({Rate(hot, hotTime)}) |"));
        markdown.AppendLine(Invariant($"| Live heap per flash-sale item, views included | {(afterHot.ManagedHeap - baseline.ManagedHeap) / (double)hot:N0} B |"));
        markdown.AppendLine($"| Stock items active after the flash-sale activation | {Count(activeAfterHot)} |");
        markdown.AppendLine(Invariant($"| Catalogue pass | {Count(reads)} first reads and {Count(reads)} hot reads, interleaved, {arguments.Concurrency} in flight, in {Seconds(readsTime)} ({Rate(2L * reads, readsTime)}) |"));
        markdown.AppendLine($"| **First reads of inactive items** | **p50 {Millis(coldReads.P50)}, p99 {Millis(coldReads.P99)}** (target < 20 ms: {coldVerdict}), p99.9 {Millis(coldReads.P999)}, max {Millis(coldReads.Max)} |");
        markdown.AppendLine($"| Reads of the flash-sale items meanwhile | p50 {Millis(hotReads.P50)}, p99 {Millis(hotReads.P99)}, p99.9 {Millis(hotReads.P999)}, max {Millis(hotReads.Max)} |");
        markdown.AppendLine($"| **Peak GC committed memory** (what the silo's shedding watches) | **{Bytes(peak.Committed)}** of {Bytes(budget)}: {budgetVerdict} |");
        markdown.AppendLine($"| Peak heap size after a GC | {Bytes(peak.Heap)} |");
        markdown.AppendLine($"| Live heap at the end | {Bytes(after.ManagedHeap)} |");
        markdown.AppendLine(Invariant($"| Stock items active at the end, of those read | {Count(activeAtEnd)} of {Count(touched)} ({Count(shed)} shed or collected) |"));
        markdown.AppendLine();
        markdown.AppendLine(
            "Every read is checked against the on-hand that was loaded. The silo and its client share this process, so the " +
            "heap includes the client's side. Peaks are sampled every 250 ms from `GC.GetGCMemoryInfo()`.");
        return new CapacityReport(line, markdown.ToString());
    }

    private static int StockItems(IReadOnlyDictionary<string, int> byType) =>
        byType.Where(kv => kv.Key.Contains("StockItem", StringComparison.OrdinalIgnoreCase)).Sum(kv => kv.Value);

    private static async Task<(long Committed, long Heap)> SamplePeaksAsync(CancellationToken cancellationToken)
    {
        long committed = 0, heap = 0;
        using var ticks = new PeriodicTimer(SampleEvery);
        try
        {
            while (await ticks.WaitForNextTickAsync(cancellationToken))
            {
                var info = GC.GetGCMemoryInfo();
                committed = Math.Max(committed, info.TotalCommittedBytes);
                heap = Math.Max(heap, info.HeapSizeBytes);
            }
        }
        catch (OperationCanceledException)
        {
            // The pass ended.
        }

        return (committed, heap);
    }

    /// <summary>
    /// Visits each of <c>count</c> items from <c>first</c> once, scattered, without an array of millions of indexes
    /// in the heap being measured: j ↦ (a·j + b) mod count is a permutation when a and count are coprime.
    /// </summary>
    private sealed class Walk(int first, int count)
    {
        private readonly long _step = Coprime(count);

        public int Item(int j) => first + (int)((_step * j + 7_919) % count);

        private static long Coprime(int count)
        {
            var step = 2_654_435_761L % count;
            while (step <= 1 || Gcd(step, count) != 1)
            {
                step++;
            }

            return step;
        }

        private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
    }
}
