using System.Diagnostics;

namespace Oms.Capacity;

/// <summary>The process's memory after a full, compacting collection, so only live objects are counted.</summary>
/// <param name="ManagedHeap">Bytes of live managed objects (<see cref="GC.GetTotalMemory(bool)"/> after collecting).</param>
/// <param name="WorkingSet">Physical memory the process holds, managed or not; the GC keeps some freed space.</param>
public sealed record MemorySample(long ManagedHeap, long WorkingSet, long PrivateBytes)
{
    public static MemorySample Take()
    {
        // Collect, run finalizers, collect again: objects kept only by a pending finalizer are gone too.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return new MemorySample(heap, process.WorkingSet64, process.PrivateMemorySize64);
    }
}
