using System.Text;
using Oms.Contracts.Availability;
using Oms.Contracts.Stock;
using static System.FormattableString;
using static Oms.Capacity.Formatting;

namespace Oms.Capacity;

/// <summary>
/// Bytes of managed heap per active stock item: load N positions into PostgreSQL, activate every stock item,
/// and divide the growth of the live heap by N. The target is under 2 KB per item.
/// </summary>
/// <remarks>
/// Each stock item reports to its SKU's availability view when it activates, so those views (one per SKU, so one per 20 items at the default 20 locations)
/// are part of what N active items cost. They are activated first, on their own, so the report can give the
/// stock items' share separately from the whole.
/// </remarks>
public static class MemoryMeasurement
{
    public const int TargetBytesPerItem = 2048;

    /// <summary>Far longer than the run: with Orleans' default (15 min) the first items could be collected before the last activate.</summary>
    private static readonly TimeSpan CollectionAge = TimeSpan.FromHours(3);

    /// <summary>Lets the one-way availability reports and the views' 1 s delayed writes finish before the heap is sampled.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    public static async Task<CapacityReport> RunAsync(CapacityArguments arguments, CancellationToken cancellationToken)
    {
        var items = arguments.Items;
        var catalogue = new Catalogue(arguments.Locations);
        var skus = catalogue.SkuCount(items);
        var loadAtStart = Machine.LoadAverage();

        await Console.Error.WriteLineAsync("Starting PostgreSQL and loading positions...");
        await using var database = await CapacityDatabase.StartAsync(cancellationToken);
        var load = await database.LoadPositionsAsync(catalogue, items, cancellationToken);
        await Console.Error.WriteLineAsync(Invariant($"Loaded {items:N0} positions in {Seconds(load.Insert)} (+{Seconds(load.Vacuum)} VACUUM ANALYZE)."));

        await using var cluster = await CapacityCluster.StartAsync(database.ConnectionString, CollectionAge, cancellationToken);
        await catalogue.RegisterLocationsAsync(cluster.Client, cancellationToken);
        var grains = cluster.Client;
        var baseline = MemorySample.Take();

        var viewsTime = await Workload.RunAsync("availability views", skus, arguments.Concurrency,
            i => grains.GetGrain<ISkuAvailabilityGrain>($"SKU-{i}").Get(), cancellationToken);
        var afterViews = MemorySample.Take();

        var itemsTime = await Workload.RunAsync("stock items", items, arguments.Concurrency, async i =>
        {
            var level = await grains.GetGrain<IStockItemGrain>(catalogue.StockItemKey(i)).GetLevel();
            catalogue.Verify(i, level);
        }, cancellationToken);

        await Task.Delay(Settle, cancellationToken);
        var activeBefore = await cluster.ActivationsByTypeAsync(cancellationToken);
        var after = MemorySample.Take();

        // Counted again after sampling: the heap figure is only per active item if none was collected meanwhile.
        var activeAfter = await cluster.ActivationsByTypeAsync(cancellationToken);
        var stockItemsActive = StockItemActivations(activeAfter);
        if (stockItemsActive < items)
        {
            throw new InvalidOperationException(
                $"Only {stockItemsActive:N0} of {items:N0} stock items were still active when the heap was sampled; the figure would be wrong.");
        }

        var perItem = (double)(after.ManagedHeap - baseline.ManagedHeap) / items;
        var perItemAlone = (double)(after.ManagedHeap - afterViews.ManagedHeap) / items;
        var perView = (double)(afterViews.ManagedHeap - baseline.ManagedHeap) / skus;
        var workingSetPerItem = (double)(after.WorkingSet - baseline.WorkingSet) / items;
        var verdict = perItem < TargetBytesPerItem ? "met" : "MISSED";

        var line =
            Invariant($"memory: {items:N0} stock items active; {perItem:N0} B managed heap per item including its share of the availability views ") +
            Invariant($"({perItemAlone:N0} B for the stock item alone), target < {TargetBytesPerItem:N0} B {verdict}; ") +
            Invariant($"activating them took {Seconds(itemsTime)} ({Rate(items, itemsTime)}) at {arguments.Concurrency} in flight; ") +
            Invariant($"working set +{workingSetPerItem:N0} B per item");

        if (arguments.Hold > TimeSpan.Zero)
        {
            await Console.Error.WriteLineAsync(Invariant($"{line}\nHolding the silo for {arguments.Hold.TotalSeconds:0} s (process {Environment.ProcessId})..."));
            await Task.Delay(arguments.Hold, cancellationToken);
        }

        await cluster.StopAsync(graceful: false);

        var markdown = new StringBuilder();
        markdown.AppendLine(Invariant($"## Memory per active stock item ({items:N0} items)"));
        markdown.AppendLine();
        markdown.AppendLine($"`dotnet run -c Release --project benchmarks/Oms.Capacity -- {string.Join(' ', arguments.CommandLine)}`");
        markdown.AppendLine();
        markdown.AppendLine($"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Machine.Describe()}. Load average (1/5/15 min): {loadAtStart} at the start, {Machine.LoadAverage()} at the end.");
        markdown.AppendLine();
        markdown.AppendLine("| Measure | Value |");
        markdown.AppendLine("|---|---:|");
        markdown.AppendLine(Invariant($"| Positions bulk-loaded (one INSERT … generate_series) | {Count(items)} in {Seconds(load.Insert)}, then VACUUM ANALYZE {Seconds(load.Vacuum)} |"));
        markdown.AppendLine($"| Ledger table with its indexes | {Bytes(load.TableBytes)} |");
        markdown.AppendLine(Invariant($"| Availability views activated first ({Count(skus)} SKUs) | {Seconds(viewsTime)} ({Rate(skus, viewsTime)}) |"));
        markdown.AppendLine(Invariant($"| **Stock items activated** (`GetLevel`, {arguments.Concurrency} in flight) | **{Seconds(itemsTime)} ({Rate(items, itemsTime)})** |"));
        markdown.AppendLine($"| Managed heap: baseline → after views → after stock items | {Bytes(baseline.ManagedHeap)} → {Bytes(afterViews.ManagedHeap)} → {Bytes(after.ManagedHeap)} |");
        markdown.AppendLine($"| Working set: baseline → after views → after stock items | {Bytes(baseline.WorkingSet)} → {Bytes(afterViews.WorkingSet)} → {Bytes(after.WorkingSet)} |");
        markdown.AppendLine($"| Private bytes: baseline → after stock items | {Bytes(baseline.PrivateBytes)} → {Bytes(after.PrivateBytes)} |");
        markdown.AppendLine(Invariant($"| **Managed heap per stock item**, views included | **{perItem:N0} B** (target < {TargetBytesPerItem:N0} B: {verdict}) |"));
        markdown.AppendLine(Invariant($"| Managed heap per stock item, views excluded | {perItemAlone:N0} B |"));
        markdown.AppendLine(Invariant($"| Managed heap per availability view (before its items report) | {perView:N0} B |"));
        markdown.AppendLine(Invariant($"| Working set per stock item, views included | {workingSetPerItem:N0} B |"));
        markdown.AppendLine();
        markdown.AppendLine("Activations the silo reported (`IManagementGrain.GetSimpleGrainStatistics`), before and after the heap was sampled:");
        markdown.AppendLine();
        markdown.AppendLine("| Grain type | Before sampling | After sampling |");
        markdown.AppendLine("|---|---:|---:|");
        foreach (var type in activeAfter.Keys.Union(activeBefore.Keys).Order(StringComparer.Ordinal))
        {
            markdown.AppendLine($"| `{type}` | {Count(activeBefore.GetValueOrDefault(type))} | {Count(activeAfter.GetValueOrDefault(type))} |");
        }

        markdown.AppendLine();
        markdown.AppendLine(Invariant(
            $"Grain collection age was set to {CollectionAge.TotalHours:0} h for this run (Orleans' default is 15 min), so no item went idle long enough to be collected before the last was activated."));
        markdown.AppendLine();
        markdown.AppendLine(
            "The silo and its client share this process, so the heap includes the client's side, which holds nothing per grain once calls complete. " +
            "The grain directory is Orleans.TestingHost's in-process one (one dictionary entry per grain); a production silo keeps its own " +
            "directory partition entry instead, which this run does not measure.");
        return new CapacityReport(line, markdown.ToString());
    }

    private static int StockItemActivations(IReadOnlyDictionary<string, int> byType) =>
        byType.Where(kv => kv.Key.Contains("StockItem", StringComparison.OrdinalIgnoreCase)
                && !kv.Key.Contains("Ledger", StringComparison.OrdinalIgnoreCase))
            .Sum(kv => kv.Value);
}
