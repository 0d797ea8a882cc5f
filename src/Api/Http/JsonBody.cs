using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Oms.Grains;

namespace Oms.Api.Http;

/// <summary>
/// Reads request bodies by hand rather than through parameter binding, so that malformed JSON, a wrong
/// type, a missing required field or an oversized body becomes a problem response naming the field,
/// instead of the framework's bare 400 or, worse, an exception.
/// </summary>
public static class JsonBody
{
    public const int MaxBytes = 256 * 1024;

    public readonly record struct Result<T>(T? Value, ProblemHttpResult? Problem);

    /// <summary>Reads the body and applies the endpoint's validation, so a handler gets a valid value or a problem.</summary>
    public static async Task<Result<T>> ReadAsync<T>(HttpContext context, Func<T, FieldError?> validate, CancellationToken cancellationToken)
        where T : class
    {
        var body = await ReadAsync<T>(context, cancellationToken);
        return body.Problem is null && validate(body.Value!) is { } error ? new(null, Problems.Invalid(error)) : body;
    }

    public static async Task<Result<T>> ReadAsync<T>(HttpContext context, CancellationToken cancellationToken)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength is > MaxBytes)
        {
            return new(null, TooLarge());
        }

        byte[] buffer;
        using (var memory = new MemoryStream())
        {
            var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
            int read;
            try
            {
                while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
                {
                    if (memory.Length + read > MaxBytes)
                    {
                        return new(null, TooLarge());
                    }

                    memory.Write(chunk, 0, read);
                }
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                // Kestrel's own body limit, hit first by a chunked body that never announced its length.
                return new(null, TooLarge());
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            buffer = memory.ToArray();
        }

        if (buffer.Length == 0)
        {
            return new(null, Problems.Invalid("body", "a JSON object is required."));
        }

        // Routing's 415 applies only when a Content-Type is given; a body without one would otherwise be read as JSON.
        if (!request.HasJsonContentType())
        {
            return new(null, Problems.Invalid("Content-Type", "must be application/json.", StatusCodes.Status415UnsupportedMediaType));
        }

        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer, options);
            if (value is null)
            {
                return new(null, Problems.Invalid("body", "a JSON object is required."));
            }

            return NullElement(buffer) is { } element ? new(null, Problems.Invalid(element, "must not be null.")) : new(value, null);
        }
        catch (JsonException ex)
        {
            return new(null, Problems.Invalid(Describe(ex)));
        }
    }

    /// <summary>
    /// The first null inside an array, as "lines[0]": the serializer's nullable checks stop at collection elements, so
    /// <c>"lines":[null]</c> would otherwise reach a handler as a null line. No array of this API holds nulls.
    /// </summary>
    private static string? NullElement(byte[] json)
    {
        // Most bodies hold no null at all: they need no walk (which names every element it passes) on the hot paths.
        if (json.AsSpan().IndexOf("null"u8) < 0)
        {
            return null;
        }

        var reader = new Utf8JsonReader(json);
        // Per open container: the field path that leads to it, and the index of its next element when it is an array.
        var open = new Stack<(string Path, int NextIndex)>();
        string? property = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                property = reader.GetString();
                continue;
            }

            if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                open.Pop();
                continue;
            }

            var path = "";
            var inArray = false;
            if (open.TryPop(out var parent))
            {
                inArray = parent.NextIndex >= 0;
                path = inArray ? $"{parent.Path}[{parent.NextIndex}]" : parent.Path.Length == 0 ? property! : $"{parent.Path}.{property}";
                open.Push(inArray ? (parent.Path, parent.NextIndex + 1) : parent);
            }

            if (reader.TokenType == JsonTokenType.Null && inArray)
            {
                return path;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                open.Push((path, reader.TokenType == JsonTokenType.StartArray ? 0 : -1));
            }
        }

        return null;
    }

    private static ProblemHttpResult TooLarge() =>
        Problems.Invalid("body", $"must be at most {MaxBytes} bytes.", StatusCodes.Status413PayloadTooLarge);

    /// <summary>"$.lines[0].quantity" becomes "lines[0].quantity", the form every other error uses.</summary>
    private static string FieldOf(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    /// <summary>
    /// The serializer's messages name CLR types, which mean nothing to a client; say instead which field is wrong
    /// and how. A missing required property is reported on the property itself, not on its parent object.
    /// </summary>
    private static FieldError Describe(JsonException ex)
    {
        var field = FieldOf(ex.Path);
        var message = ex.Message;
        const string missing = "missing required properties including: ";
        var at = message.IndexOf(missing, StringComparison.Ordinal);
        if (at >= 0)
        {
            var name = message[(at + missing.Length)..].Split(',')[0].Trim(' ', '\'', '.');
            return new FieldError(field == "body" ? name : $"{field}.{name}", "is required.");
        }

        if (message.StartsWith("Duplicate propert", StringComparison.Ordinal))
        {
            // Refused by the serializer (AllowDuplicateProperties = false) at the second occurrence, whose path this is.
            return new FieldError(field, "appears more than once in its object; give each key once.");
        }

        if (message.Contains("null", StringComparison.OrdinalIgnoreCase) && message.Contains("nullable", StringComparison.OrdinalIgnoreCase))
        {
            return new FieldError(field, "must not be null.");
        }

        return ex.InnerException is null && ex.Path is null
            ? new FieldError("body", "is not well-formed JSON.")
            : new FieldError(field, "has a value of the wrong type or format.");
    }
}
