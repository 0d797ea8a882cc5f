using Oms.Grains.Diagnostics;
using OpenTelemetry.Metrics;

namespace Oms.Api.Diagnostics;

public static class Telemetry
{
    /// <summary>
    /// OpenTelemetry metrics: the business meters, Orleans', Npgsql's and ASP.NET Core's, scraped at <c>/metrics</c>
    /// (admin) and pushed over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. A cohosted node shows its silo's
    /// grain meters too; a separate silo process pushes its own over OTLP.
    /// </summary>
    public static IServiceCollection AddOmsTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(OmsMeters.MeterName, "Microsoft.Orleans", "Npgsql")
                .AddAspNetCoreInstrumentation()
                .AddPrometheusExporter();
            if (configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 })
            {
                metrics.AddOtlpExporter();
            }
        });
        return services;
    }
}
