using static System.FormattableString;

namespace Oms.Capacity;

/// <summary>Numbers as the reports print them, independent of the machine's culture.</summary>
public static class Formatting
{
    public static string Bytes(long bytes) => Math.Abs(bytes) >= 1024L * 1024 * 1024
        ? Invariant($"{bytes / (1024.0 * 1024 * 1024):0.00} GiB")
        : Invariant($"{bytes / (1024.0 * 1024):0.0} MiB");

    public static string Seconds(TimeSpan elapsed) => Invariant($"{elapsed.TotalSeconds:0.0} s");

    public static string Millis(double microseconds) => Invariant($"{microseconds / 1000:0.00} ms");

    public static string Count(long value) => Invariant($"{value:N0}");

    public static string Rate(long count, TimeSpan elapsed) => Invariant($"{count / elapsed.TotalSeconds:N0}/s");
}

/// <summary>What a measurement hands back: one line for the console, the same result as markdown.</summary>
public sealed record CapacityReport(string ResultLine, string Markdown);
