namespace Oms.Benchmarks.Infrastructure;

/// <summary>Medians of one pairing: per-call times of each side, and the per-pair ratio with its quartiles.</summary>
public sealed record PairedResult(double BaselineMedian, double OtherMedian, double MedianRatio, double RatioP25, double RatioP75);

/// <summary>
/// Two variants measured interleaved instead of one after another: blocks of each alternate ABBA (so neither
/// always goes first) and the ratio is taken per pair of adjacent blocks. On a shared machine whose load swings
/// over seconds, cases run in sequence see different loads; adjacent blocks a few milliseconds apart see nearly
/// the same, so the median of the per-pair ratios is the steadier figure.
/// </summary>
public static class PairedBlocks
{
    /// <param name="baseline">Runs one block of the baseline and returns its time per call.</param>
    /// <param name="other">Runs one block of the variant and returns its time per call.</param>
    public static async Task<PairedResult> Run(int pairs, int warmUpPairs, Func<Task<double>> baseline, Func<Task<double>> other)
    {
        var baseTimes = new List<double>();
        var otherTimes = new List<double>();
        var ratios = new List<double>();
        for (var p = -warmUpPairs; p < pairs; p++)
        {
            var otherFirst = (p & 1) == 1;
            var first = await (otherFirst ? other : baseline)();
            var second = await (otherFirst ? baseline : other)();
            var (b, o) = otherFirst ? (second, first) : (first, second);
            if (p >= 0)
            {
                baseTimes.Add(b);
                otherTimes.Add(o);
                ratios.Add(o / b);
            }
        }

        ratios.Sort();
        return new PairedResult(Median(baseTimes), Median(otherTimes), Median(ratios), ratios[ratios.Count / 4], ratios[ratios.Count * 3 / 4]);
    }

    /// <returns>Microseconds per call over <paramref name="calls"/> sequential calls.</returns>
    public static async Task<double> Time(int calls, Func<Task> call)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            await call();
        }

        return clock.Elapsed.TotalMicroseconds / calls;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
