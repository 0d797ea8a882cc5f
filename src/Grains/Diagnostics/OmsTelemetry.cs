using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Oms.Grains.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Oms.Grains.Diagnostics;

/// <summary>
/// OpenTelemetry as every process runs it: the same meters, the same trace sources and the same OTLP switch for a
/// silo and an API node, so a collector sees one cluster however it is laid out.
/// </summary>
public static class OmsTelemetry
{
    /// <summary>The business meters, Orleans' and Npgsql's.</summary>
    public static readonly string[] Meters = [OmsMeters.MeterName, "Microsoft.Orleans", "Npgsql"];

    /// <summary>OpenTelemetry's own setting: when it names a collector, metrics, traces and logs are pushed there.</summary>
    public static bool Otlp(IConfiguration configuration) => configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 };

    /// <param name="metrics">What the host adds to the meters (ASP.NET Core's, a scrape endpoint).</param>
    /// <param name="traces">What the host adds to the trace sources (ASP.NET Core's requests).</param>
    public static OpenTelemetryBuilder AddOmsOpenTelemetry(this IServiceCollection services, IConfiguration configuration,
        Action<MeterProviderBuilder>? metrics = null, Action<TracerProviderBuilder>? traces = null)
    {
        var otlp = Otlp(configuration);
        var telemetry = services.AddOpenTelemetry().WithMetrics(m =>
        {
            m.AddMeter(Meters);
            metrics?.Invoke(m);
            if (otlp)
            {
                m.AddOtlpExporter();
            }
        });

        if (OmsHosting.Tracing(configuration))
        {
            telemetry.WithTracing(t =>
            {
                t.AddSource(Orleans.Diagnostics.ActivitySources.AllActivitySourceName);
                traces?.Invoke(t);
                if (otlp)
                {
                    t.AddOtlpExporter();
                }
            });
        }

        if (otlp)
        {
            // Each record carries the trace and span of the request or grain call that wrote it, and its scopes.
            telemetry.WithLogging(l => l.AddOtlpExporter(), o => o.IncludeScopes = true);
        }

        return telemetry;
    }
}
