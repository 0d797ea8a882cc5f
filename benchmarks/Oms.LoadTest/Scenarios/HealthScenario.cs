using Oms.LoadTest.Engine;

namespace Oms.LoadTest.Scenarios;

/// <summary>The bare-HTTP baseline: Kestrel, routing and a health check with no grain call behind it.</summary>
internal sealed class HealthScenario : Scenario
{
    public override string Name => "health";

    public override PlannedRequest Next(long sequence, Random random) => new(new HttpRequestMessage(HttpMethod.Get, "/health/live"));
}
