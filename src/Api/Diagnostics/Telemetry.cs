using Oms.Grains.Diagnostics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Oms.Api.Diagnostics;

public static class Telemetry
{
    /// <summary>
    /// <see cref="OmsTelemetry"/> plus what only an HTTP node has: ASP.NET Core's meters and request spans, and the
    /// Prometheus scrape at <c>/metrics</c> (admin). A cohosted node shows its silo's grain meters too; a separate
    /// silo process pushes its own over OTLP.
    /// </summary>
    public static IServiceCollection AddOmsTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOmsOpenTelemetry(configuration,
            metrics => metrics.AddAspNetCoreInstrumentation().AddPrometheusExporter(),
            traces => traces.AddAspNetCoreInstrumentation());
        return services;
    }
}
