using System.Collections.Concurrent;
using System.Reflection;
using Oms.Contracts.Faults;
using Orleans.Runtime.Messaging;

namespace Oms.Grains.Faults;

/// <summary>
/// Sends an idempotent call again when the silo it went to is gone or going. In a rolling restart a caller's
/// directory cache can still name a silo that has just left; Orleans answers such a call with
/// <see cref="SiloUnavailableException"/> and drops the stale entry, so the same call sent again reaches the
/// grain's new activation. A silo that is stopping rejects the application requests that still reach it ("Silo
/// stopping", an <see cref="OrleansMessageRejectionException"/> with the same cache invalidation), before any grain
/// ran them. A client whose gateway has just closed its listener fails the call with
/// <see cref="ConnectionFailedException"/> before it was sent anywhere, and marks that gateway dead, so the same call
/// sent again goes through another. Without this a planned restart fails the client requests that happened to pass
/// through a stale entry, a stopping silo or a closing gateway (measured: a few per restart under load).
/// </summary>
/// <remarks>
/// Only calls marked <see cref="IdempotentAttribute"/> or read-only: the first call may have been applied before its silo
/// went away, and only a call keyed by its own id may safely be applied "again". Anything else goes up as a
/// fault and the client retries with its own ids.
/// </remarks>
public sealed class SiloLeftRetryFilter : IOutgoingGrainCallFilter
{
    /// <summary>
    /// A stale entry costs one retry. The rest cover a silo joining or a second one leaving meanwhile, which under
    /// load on a small machine took over a second: pauses double from <see cref="FirstPause"/>, 1.55 s in all, well
    /// inside the call's budget. Only the innermost call retries: a grain that fails on its own dependency answers
    /// with its own fault, never a rejection, so retries never multiply across hops.
    /// </summary>
    private const int Attempts = 6;

    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(50);

    /// <summary>Every outgoing call asks; attribute reflection is read once per method, not once per call.</summary>
    private readonly ConcurrentDictionary<MethodInfo, bool> _idempotent = new();

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.InterfaceMethod is not { } method || !_idempotent.GetOrAdd(method, IsIdempotent))
        {
            await context.Invoke();
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await context.Invoke();
                if (attempt == Attempts || !Resendable(context.Response?.Exception))
                {
                    return;
                }
            }
            catch (Exception exception) when (attempt < Attempts && Resendable(exception))
            {
            }

            await Task.Delay(FirstPause * (1 << (attempt - 1)));
        }
    }

    private static bool Resendable(Exception? exception) =>
        exception is OrleansMessageRejectionException or ConnectionFailedException;

    /// <summary>Marked so, or a read (Orleans' <see cref="Orleans.Concurrency.ReadOnlyAttribute"/>), which changes nothing to repeat.</summary>
    private static bool IsIdempotent(MethodInfo method) =>
        method.IsDefined(typeof(IdempotentAttribute), false)
        || method.IsDefined(typeof(Orleans.Concurrency.ReadOnlyAttribute), false)
        || method.DeclaringType?.IsDefined(typeof(IdempotentAttribute), false) == true;
}
