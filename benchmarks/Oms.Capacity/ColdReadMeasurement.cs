using System.Diagnostics;
using System.Text;
using HdrHistogram;
using Oms.Contracts.Stock;
using static System.FormattableString;
using static Oms.Capacity.Formatting;

namespace Oms.Capacity;

/// <summary>
/// The first read of each persisted stock item, which pays for its activation (ledger load, location lookup),
/// on a silo's first start and again after a restart on the same database; a second read of each item, once
/// all are active, shows what the same call costs warm.
/// </summary>
public static class ColdReadMeasurement
{
    public static async Task<CapacityReport> RunAsync(CapacityArguments arguments, CancellationToken cancellationToken)
    {
        var items = arguments.Items;
        var loadAtStart = Machine.LoadAverage();

        await Console.Error.WriteLineAsync("Starting PostgreSQL and loading positions...");
        await using var database = await CapacityDatabase.StartAsync(cancellationToken);
        var catalogue = new Catalogue(arguments.Locations);
        var load = await database.LoadPositionsAsync(catalogue, items, cancellationToken);

        // Shuffled once and reused, so neither pass walks the table in key order and both read in the same order.
        var order = Enumerable.Range(0, items).ToArray();
        new Random(20_000).Shuffle(order);

        var passes = new List<(string Name, LatencySummary Summary)>();
        await using (var first = await CapacityCluster.StartAsync(database.ConnectionString, collectionAge: null, cancellationToken))
        {
            await catalogue.RegisterLocationsAsync(first.Client, cancellationToken);
            passes.Add(("Cold, first start of the silo", await MeasureReadsAsync("cold reads", catalogue, first.Client, order, arguments.Concurrency, cancellationToken)));
            passes.Add(("Warm, same silo (second read of each item)", await MeasureReadsAsync("warm reads", catalogue, first.Client, order, arguments.Concurrency, cancellationToken)));
            await first.StopAsync(graceful: true);
        }

        await using (var restarted = await CapacityCluster.StartAsync(database.ConnectionString, collectionAge: null, cancellationToken))
        {
            passes.Add(("Cold, after a silo restart (same ServiceId and database)", await MeasureReadsAsync("cold reads after restart", catalogue, restarted.Client, order, arguments.Concurrency, cancellationToken)));
            passes.Add(("Warm, restarted silo (second read of each item)", await MeasureReadsAsync("warm reads after restart", catalogue, restarted.Client, order, arguments.Concurrency, cancellationToken)));
            await restarted.StopAsync(graceful: true);
        }

        var firstCold = passes[0].Summary;
        var restartCold = passes[2].Summary;
        var line = Invariant($"cold: {items:N0} first reads at {arguments.Concurrency} in flight; ") +
            $"first start p50 {Millis(firstCold.P50)} p99 {Millis(firstCold.P99)} p99.9 {Millis(firstCold.P999)} max {Millis(firstCold.Max)}; " +
            $"after restart p50 {Millis(restartCold.P50)} p99 {Millis(restartCold.P99)} p99.9 {Millis(restartCold.P999)} max {Millis(restartCold.Max)}";

        var markdown = new StringBuilder();
        markdown.AppendLine(Invariant($"## Cold first read of a persisted stock item ({items:N0} items)"));
        markdown.AppendLine();
        markdown.AppendLine($"`dotnet run -c Release --project benchmarks/Oms.Capacity -- {string.Join(' ', arguments.CommandLine)}`");
        markdown.AppendLine();
        markdown.AppendLine($"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Machine.Describe()}. Load average (1/5/15 min): {loadAtStart} at the start, {Machine.LoadAverage()} at the end.");
        markdown.AppendLine();
        markdown.AppendLine(
            $"{Count(items)} positions bulk-loaded in {Seconds(load.Insert)} ({Bytes(load.TableBytes)} with indexes), then `IStockItemGrain.GetLevel` on each, " +
            Invariant($"in a shuffled order, {arguments.Concurrency} in flight, from the in-process client. Latencies in HdrHistogram (3 significant digits)."));
        markdown.AppendLine();
        markdown.AppendLine("| Pass | Reads | Took | Throughput | p50 | p99 | p99.9 | max | mean |");
        markdown.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, s) in passes)
        {
            markdown.AppendLine(
                $"| {name} | {Count(s.Count)} | {Seconds(s.Elapsed)} | {Rate(s.Count, s.Elapsed)} | {Millis(s.P50)} | {Millis(s.P99)} | {Millis(s.P999)} | {Millis(s.Max)} | {Millis(s.Mean)} |");
        }

        markdown.AppendLine();
        markdown.AppendLine(
            "The first pass runs in a fresh process, so its slowest reads also pay for JIT compilation and for opening " +
            "the connection pools. The restart pass runs in the same process on a new silo: the code is compiled, the " +
            "silo's pools and the location and availability grains start cold, and PostgreSQL's cache is warm from the first pass.");
        return new CapacityReport(line, markdown.ToString());
    }

    private static async Task<LatencySummary> MeasureReadsAsync(
        string what, Catalogue catalogue, IGrainFactory grains, int[] order, int concurrency, CancellationToken cancellationToken)
    {
        // One slot per read, each written by exactly one worker: no lock on the hot path, recorded afterwards.
        var microseconds = new long[order.Length];
        var elapsed = await Workload.RunAsync(what, order.Length, concurrency, async i =>
        {
            var item = order[i];
            var started = Stopwatch.GetTimestamp();
            var level = await grains.GetGrain<IStockItemGrain>(catalogue.StockItemKey(item)).GetLevel();
            microseconds[i] = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            catalogue.Verify(item, level);
        }, cancellationToken);

        return LatencySummary.Of(microseconds, elapsed);
    }
}

/// <summary>Latencies in microseconds.</summary>
public sealed record LatencySummary(int Count, TimeSpan Elapsed, double P50, double P99, double P999, double Max, double Mean)
{
    /// <summary>Any one read slower than this is off the histogram's scale and fails the run rather than being clipped.</summary>
    private static readonly long HighestMicroseconds = (long)TimeSpan.FromMinutes(10).TotalMicroseconds;

    public static LatencySummary Of(long[] microseconds, TimeSpan elapsed)
    {
        var histogram = new LongHistogram(HighestMicroseconds, 3);
        foreach (var value in microseconds)
        {
            histogram.RecordValue(value);
        }

        return new LatencySummary(
            microseconds.Length,
            elapsed,
            histogram.GetValueAtPercentile(50),
            histogram.GetValueAtPercentile(99),
            histogram.GetValueAtPercentile(99.9),
            histogram.GetMaxValue(),
            histogram.GetMean());
    }
}
