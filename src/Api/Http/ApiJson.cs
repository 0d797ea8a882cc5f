using System.Text.Json;
using System.Text.Json.Serialization;

namespace Oms.Api.Http;

public static class ApiJson
{
    /// <summary>camelCase, lower-case enums, and strictness: a missing required field or a null where a
    /// value is required is an error naming the field, never a silent zero.</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = null;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.RespectRequiredConstructorParameters = true;
        options.RespectNullableAnnotations = true;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.MaxDepth = 16;
        // Otherwise the last of two equal keys silently wins: "quantity": 10001, "quantity": 1 would be taken as 1.
        options.AllowDuplicateProperties = false;
    }
}
