using System.Collections.Concurrent;

namespace Oms.Tests.Infrastructure;

/// <summary>Counts grain calls per "Interface.Method", to assert how many grains a request touches.</summary>
public sealed class GrainCallCounter : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public Task Invoke(IIncomingGrainCallContext context)
    {
        _counts.AddOrUpdate($"{context.InterfaceMethod.DeclaringType?.Name}.{context.InterfaceMethod.Name}", 1, (_, n) => n + 1);
        return context.Invoke();
    }

    public long Count(string interfaceMethod) => _counts.GetValueOrDefault(interfaceMethod);
}
