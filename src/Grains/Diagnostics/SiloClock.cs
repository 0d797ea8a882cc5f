using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Oms.Grains.Diagnostics;

/// <summary>
/// The clock Orleans' membership and watchdog measure intervals with, counting from when the silo created it rather
/// than from when the machine booted.
/// </summary>
/// <remarks>
/// Orleans' watchdog (10.4) starts its platform thread before it stamps the component check, so that thread's first
/// tick measures the time since a stamp of zero. On the system clock zero is the machine's boot, so every start warned
/// "Participant check thread has not completed for" the machine's uptime and recorded a health complaint against a
/// healthy silo. Counted from silo start, zero is a moment ago; intervals are unchanged, so a real stall still shows.
/// </remarks>
public sealed class SiloClock : TimeProvider
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    public override long GetTimestamp() => Stopwatch.GetTimestamp() - _origin;
}

public static class SiloClockExtensions
{
    /// <summary>Used by every silo host; intervals are all Orleans reads from this clock, never wall-clock time.</summary>
    public static ISiloBuilder UseSiloClock(this ISiloBuilder silo)
    {
        silo.Services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Membership, new SiloClock());
        return silo;
    }
}
