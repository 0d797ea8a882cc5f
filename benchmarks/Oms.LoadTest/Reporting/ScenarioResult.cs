using System.Diagnostics;
using System.Globalization;
using Oms.LoadTest.Engine;
using Oms.LoadTest.Scenarios;

namespace Oms.LoadTest.Reporting;

internal sealed record ScenarioResult(
    string Scenario,
    string Model,
    double? OfferedRate,
    double AchievedRate,
    double AcknowledgedRate,
    double P50Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs,
    long Ok,
    long Refused,
    long Errors,
    long Dropped,
    IReadOnlyDictionary<string, long> ErrorKinds,
    IReadOnlyList<double> RatePer5s,
    double GeneratorCpuPercent,
    double? SendLagP99Ms,
    StockVerdict? Verdict,
    string? Skipped)
{
    public static ScenarioResult FromSkip(string scenario, string model, string reason) =>
        new(scenario, model, null, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, new Dictionary<string, long>(), [], 0, null, null, reason);

    public static ScenarioResult FromRun(string scenario, LoadOptions options, RunRecorder recorder, double cpuSeconds, StockVerdict? verdict)
    {
        // Counted to the last answer rather than the nominal duration, so a server that falls behind and drains
        // its backlog after the schedule ends is not credited with a rate it never sustained.
        var last = recorder.LastCompletion;
        var measuredSeconds = Math.Max((last - recorder.MeasureFrom) / (double)Stopwatch.Frequency, 0.001);
        if (options.Requests is null)
        {
            measuredSeconds = Math.Max(measuredSeconds, options.Duration.TotalSeconds);
        }

        // Whole seconds only, and only those the run actually measured: a run cut short by --requests has fewer.
        var perSecond = recorder.MeasuredCompletionsPerSecond(options.Warmup, TimeSpan.FromSeconds(Math.Min(measuredSeconds, options.Duration.TotalSeconds)));
        var per5s = perSecond.Chunk(5).Where(c => c.Length == 5).Select(c => c.Sum() / 5.0).ToArray();
        var latency = recorder.Latency;
        double Ms(long micros) => micros / 1000.0;
        var answered = latency.TotalCount > 0;
        var wall = options.Warmup.TotalSeconds + measuredSeconds;

        return new ScenarioResult(
            scenario,
            DescribeModel(options),
            options.ClosedLoop ? null : options.Rate,
            (recorder.Ok + recorder.Refused) / measuredSeconds,
            recorder.Ok / measuredSeconds,
            answered ? Ms(latency.GetValueAtPercentile(50)) : double.NaN,
            answered ? Ms(latency.GetValueAtPercentile(99)) : double.NaN,
            answered ? Ms(latency.GetValueAtPercentile(99.9)) : double.NaN,
            answered ? Ms(HdrHistogram.HistogramExtensions.GetMaxValue(latency)) : double.NaN,
            recorder.Ok,
            recorder.Refused,
            recorder.Errors + recorder.Dropped,
            recorder.Dropped,
            recorder.ErrorKinds.ToDictionary(),
            per5s,
            100.0 * cpuSeconds / wall,
            recorder.SendLag.TotalCount > 0 ? Ms(recorder.SendLag.GetValueAtPercentile(99)) : null,
            verdict,
            null);
    }

    public static string DescribeModel(LoadOptions options) =>
        (options.ClosedLoop
            ? $"closed, {options.ConcurrencyCap} conn"
            : string.Create(CultureInfo.InvariantCulture, $"open, {options.Rate:0.#}/s, cap {options.ConcurrencyCap}"))
        + (options.Requests is { } n ? $", {n} requests" : "");

    /// <summary>Oversold, or a ledger that does not replay to its position: wrong answers, not slow ones.</summary>
    public bool Incorrect => Verdict is { } v && (v.Oversell > 0 || v.ServerOversell > 0 || v.LedgerInconsistent > 0);
}
