using Microsoft.Extensions.Diagnostics.HealthChecks;
using Oms.Contracts.Locations;

namespace Oms.Api.Http;

/// <summary>Ready means a grain call round-trips, whether the silo is co-hosted or remote.</summary>
public sealed class ClusterHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.GetGrain<ILocationDirectoryGrain>(ILocationDirectoryGrain.Key).List().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The Orleans cluster did not answer.", ex);
        }
    }
}
