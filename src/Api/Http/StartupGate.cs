namespace Oms.Api.Http;

/// <summary>
/// HTTP opens before the silo (or the connection to the cluster) is up, so that liveness answers at once. Until
/// the host has started, and with it the cluster connection, an API request can only fail: it answers a 503
/// problem to retry rather than whatever the half-started client throws.
/// </summary>
public sealed class StartupGate(RequestDelegate next, IHostApplicationLifetime lifetime, IProblemDetailsService problems)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (lifetime.ApplicationStarted.IsCancellationRequested || !context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = ErrorHandling.RetryAfterSeconds;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Starting: no silo is connected yet; retry shortly.",
            },
        });
    }
}
