using Microsoft.AspNetCore.Http.Features;

namespace Oms.Api.Http;

/// <summary>
/// Refuses an over-long request target with a 414 problem. Kestrel's own limit answers with an empty body before
/// any middleware runs, so Kestrel is given room (<see cref="KestrelLimit"/>) and the documented limit is kept here.
/// </summary>
public static class RequestTargetLimit
{
    /// <summary>The longest path and query the API accepts: ids are at most 64 characters, so no route needs more.</summary>
    public const int MaxLength = 8 * 1024;

    /// <summary>Beyond this Kestrel still drops the request itself; between the two the client gets a problem.</summary>
    public const int KestrelLimit = 64 * 1024;

    public static IApplicationBuilder UseRequestTargetLimit(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
            var length = target?.Length ?? context.Request.Path.Value?.Length + context.Request.QueryString.Value?.Length ?? 0;
            if (length > MaxLength)
            {
                await Problems.Invalid("path", $"the path and query must be at most {MaxLength} characters.", StatusCodes.Status414UriTooLong)
                    .ExecuteAsync(context);
                return;
            }

            await next(context);
        });
}
