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
                StatusCodes.Status422UnprocessableEntity => "The request refers to something that cannot be used.",
                _ => "The request is invalid.",
            },
            detail: error.ToString(),
            statusCode: status,
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [error.Field] = [error.Message] } });

    public static ProblemHttpResult Invalid(string field, string message, int status = StatusCodes.Status400BadRequest) =>
        Invalid(new FieldError(field, message), status);

    public static ProblemHttpResult NotFound(string field, string message) =>
        Invalid(field, message, StatusCodes.Status404NotFound);

    public static ProblemHttpResult Conflict(string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status409Conflict, extensions: extensions);

    /// <returns>null when the id is valid.</returns>
    public static ProblemHttpResult? InvalidId(string field, string? value) =>
        FieldError.ForId(field, value) is { } error ? Invalid(error) : null;
}
