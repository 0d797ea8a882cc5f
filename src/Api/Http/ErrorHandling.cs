using Microsoft.AspNetCore.Diagnostics;
using Oms.Grains.Faults;

namespace Oms.Api.Http;

/// <summary>
/// The last line: what escapes a handler is our fault or the cluster's, never the client's. A cluster that is
/// unreachable or slow answers 503 so callers retry; anything else is a 500 with no internals leaked.
/// </summary>
public sealed class ErrorHandling(IProblemDetailsService problems, ILogger<ErrorHandling> logger) : IExceptionHandler
{
    public const string RetryAfterSeconds = "1";

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "The request could not be read."),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "The client closed the request."),
            _ when Infrastructure.IsFault(exception)
                => (StatusCodes.Status503ServiceUnavailable, "The order management cluster is unavailable; retry shortly with the same ids."),
            _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred."),
        };

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogWarning("Request {Method} {Path} answered 503: {Reason}", context.Request.Method, context.Request.Path, exception.Message);
        }
        else if (status >= 500)
        {
            logger.LogError(exception, "Request {Method} {Path} failed", context.Request.Method, context.Request.Path);
        }

        context.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            // Nothing was acknowledged, so the same request is safe to repeat; a second is long enough for a
            // pool to reconnect or membership to route around a dead silo.
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title },
        });
    }
}
