using System.Runtime;
using System.Runtime.InteropServices;
using static System.FormattableString;

namespace Oms.Capacity;

/// <summary>What the figures were measured on, written next to them so a reader can judge the noise.</summary>
public static class Machine
{
    public static string Describe() =>
        Invariant($"{Environment.ProcessorCount} logical CPUs, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB available to the GC, ") +
        $"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, " +
        $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC{(GCSettings.LatencyMode == GCLatencyMode.Batch ? "" : " (concurrent)")}";

    /// <summary>The 1, 5 and 15 minute load averages: on a shared 2-core machine, the best single hint of noise.</summary>
    public static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{fields[0]} / {fields[1]} / {fields[2]}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }
}
