using Microsoft.AspNetCore.Diagnostics;

namespace Oms.Api.Http;

/// <summary>
/// The last line: what escapes a handler is our fault or the cluster's, never the client's. A cluster that is
/// unreachable or slow answers 503 so callers retry; anything else is a 500 with no internals leaked.
/// </summary>
public sealed class ErrorHandling(IProblemDetailsService problems, ILogger<ErrorHandling> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "The request could not be read."),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "The client closed the request."),
            TimeoutException or OperationCanceledException or Orleans.Runtime.OrleansException or Orleans.Runtime.SiloUnavailableException
                => (StatusCodes.Status503ServiceUnavailable, "The order management cluster is unavailable; retry shortly."),
            _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred."),
        };

        if (status >= 500)
        {
            logger.LogError(exception, "Request {Method} {Path} failed", context.Request.Method, context.Request.Path);
        }

        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title },
        });
    }
}
