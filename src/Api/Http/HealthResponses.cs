using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Oms.Api.Http;

/// <summary>Readiness answers like every other endpoint: 200 with a status, or a 503 problem that says why.</summary>
public static class HealthResponses
{
    public static Task Write(HttpContext context, HealthReport report)
    {
        if (report.Status == HealthStatus.Healthy)
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("""{"status":"ready"}""");
        }

        var reasons = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
            .ToDictionary(e => e.Key, e => new[] { e.Value.Description ?? "not ready" });
        context.Response.ContentType = "application/problem+json";
        context.Response.Headers.RetryAfter = ErrorHandling.RetryAfterSeconds;
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            type = "https://tools.ietf.org/html/rfc9110#section-15.6.4",
            title = "Not ready to serve.",
            status = StatusCodes.Status503ServiceUnavailable,
            detail = string.Join(" ", reasons.Values.SelectMany(r => r)),
            errors = reasons,
        }));
    }
}
