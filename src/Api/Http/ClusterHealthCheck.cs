using Microsoft.Extensions.Diagnostics.HealthChecks;
using Oms.Contracts.Health;

namespace Oms.Api.Http;

/// <summary>
/// Ready means a grain call round-trips, whether the silo is co-hosted or remote, and that the silo it reached can
/// use its database.
/// </summary>
public sealed class ClusterHealthCheck(IGrainFactory grains) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var problem = await grains.GetGrain<IReadinessGrain>(0).Check().WaitAsync(Timeout, cancellationToken);
            return problem is null ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"Not ready: {problem}.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("No silo answered: the Orleans cluster is unreachable or still starting.", ex);
        }
    }
}
