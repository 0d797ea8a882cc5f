using Microsoft.AspNetCore.Http.HttpResults;
using Oms.Grains;

namespace Oms.Api.Http;

/// <summary>RFC 9457 problem responses. Every client error names the field it is about, in <c>errors</c>.</summary>
public static class Problems
{
    public static ProblemHttpResult Invalid(FieldError error, int status = StatusCodes.Status400BadRequest) =>
        TypedResults.Problem(
            title: status switch
            {
                StatusCodes.Status404NotFound => "Not found.",
                StatusCodes.Status413PayloadTooLarge => "The request is too large.",
                StatusCodes.Status414UriTooLong => "The request path is too long.",
                StatusCodes.Status415UnsupportedMediaType => "The body is not application/json.",
                StatusCodes.Status422UnprocessableEntity => "The request refers to something that cannot be used.",
                _ => "The request is invalid.",
            },
            detail: error.ToString(),
            statusCode: status,
            extensions: new Dictionary<string, object?> { ["errors"] = Errors(error.Field, error.Message) });

    public static ProblemHttpResult Invalid(string field, string message, int status = StatusCodes.Status400BadRequest) =>
        Invalid(new FieldError(field, message), status);

    public static ProblemHttpResult NotFound(string field, string message) =>
        Invalid(field, message, StatusCodes.Status404NotFound);

    public static ProblemHttpResult Conflict(string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status409Conflict, extensions: extensions);

    /// <summary>A conflict with the state of the world that still names the field the client should look at.</summary>
    public static ProblemHttpResult Conflict(string title, string detail, string field, string message) =>
        Conflict(title, detail, new Dictionary<string, object?> { ["errors"] = Errors(field, message) });

    private static Dictionary<string, string[]> Errors(string field, string message) => new() { [field] = [message] };

    /// <summary>
    /// Bodiless answers from routing (404, 405, 415) become problems whatever the client accepts: the default writer
    /// declines when Accept does not name JSON and the fallback is text/plain, which no client of this API parses.
    /// </summary>
    public static IApplicationBuilder UseProblemStatusCodePages(this IApplicationBuilder app) =>
        app.UseStatusCodePages(context =>
            TypedResults.Problem(statusCode: context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));

    /// <returns>null when the id is valid.</returns>
    public static ProblemHttpResult? InvalidId(string field, string? value) =>
        FieldError.ForId(field, value) is { } error ? Invalid(error) : null;
}
