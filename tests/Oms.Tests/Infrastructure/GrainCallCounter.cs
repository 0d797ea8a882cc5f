using System.Collections.Concurrent;

namespace Oms.Tests.Infrastructure;

/// <summary>Counts calls to this project's grains per "Interface.Method", to assert how many grains a request touches.</summary>
public sealed class GrainCallCounter : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public Task Invoke(IIncomingGrainCallContext context)
    {
        var type = context.InterfaceMethod.DeclaringType;
        if (type?.Namespace?.StartsWith("Oms.", StringComparison.Ordinal) == true)
        {
            _counts.AddOrUpdate($"{type.Name}.{context.InterfaceMethod.Name}", 1, (_, n) => n + 1);
        }

        return context.Invoke();
    }

    public long Count(string interfaceMethod) => _counts.GetValueOrDefault(interfaceMethod);

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counts);
}
