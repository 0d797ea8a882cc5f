using System.Diagnostics;
using static System.FormattableString;

namespace Oms.Capacity;

/// <summary>Runs one operation per item with a fixed number in flight, and says how far it got while it runs.</summary>
public static class Workload
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(15);

    public static async Task<TimeSpan> RunAsync(
        string what, int count, int concurrency, Func<int, Task> operation, CancellationToken cancellationToken)
    {
        var done = 0;
        var timer = Stopwatch.StartNew();
        using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = ReportProgressAsync(what, count, () => Volatile.Read(ref done), timer, stopProgress.Token);
        try
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, count), options, async (i, _) =>
            {
                await operation(i);
                Interlocked.Increment(ref done);
            });
            return timer.Elapsed;
        }
        finally
        {
            await stopProgress.CancelAsync();
            await progress;
        }
    }

    // On stderr, so stdout carries only the result line a script might parse.
    private static async Task ReportProgressAsync(string what, int count, Func<int> done, Stopwatch timer, CancellationToken cancellationToken)
    {
        using var ticks = new PeriodicTimer(ProgressEvery);
        try
        {
            while (await ticks.WaitForNextTickAsync(cancellationToken))
            {
                var finished = done();
                await Console.Error.WriteLineAsync(Invariant(
                    $"  {what}: {finished:N0}/{count:N0} after {timer.Elapsed.TotalSeconds:0} s ({finished / timer.Elapsed.TotalSeconds:N0}/s)"));
            }
        }
        catch (OperationCanceledException)
        {
            // The work finished or was cancelled; either way there is nothing more to report.
        }
    }
}
