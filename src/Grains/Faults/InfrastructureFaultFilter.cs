using Microsoft.Extensions.Logging;
using Oms.Contracts.Faults;

namespace Oms.Grains.Faults;

/// <summary>
/// The grain boundary for infrastructure faults. A grain whose call failed on a dependency may hold in memory a
/// change its storage never accepted (a state write that threw, a plan it was half-way through), so it is
/// deactivated: the next call starts from what is durable, and recovery code sees the durable intent. The
/// caller gets an <see cref="OmsUnavailableException"/> instead of a driver exception that may not deserialize.
/// </summary>
public sealed class InfrastructureFaultFilter(ILogger<InfrastructureFaultFilter> logger) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception ex) when (Infrastructure.IsFault(ex) && context.Grain is Grain)
        {
            var what = $"{context.InterfaceName}.{context.MethodName} on {context.TargetId}";
            if (ex is not OmsUnavailableException)
            {
                logger.LogWarning(ex, "{Call} failed on a dependency; answering 'unavailable'", what);
            }

            // A keep-alive grain is its own storage (the in-memory ledger): dropping it would lose what it holds.
            // A stateless worker keeps only caches of what others hold, which a failure does not make wrong.
            var type = context.Grain.GetType();
            if (!Attribute.IsDefined(type, typeof(KeepAliveAttribute)) && !Attribute.IsDefined(type, typeof(Orleans.Concurrency.StatelessWorkerAttribute)))
            {
                context.TargetContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, "a dependency failed mid-call"));
            }

            throw ex as OmsUnavailableException ?? Infrastructure.Unavailable(what);
        }
    }
}
