using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Storage;

namespace Oms.Grains.Hosting;

/// <summary>
/// Grain state is stored as plain JSON with no type names in it, so renaming or moving a state class never
/// orphans rows already in the database; only a renamed property would, and that is a visible schema change.
/// Enums are stored by name so reordering one cannot silently change stored meaning.
/// </summary>
public sealed class JsonGrainStateSerializer : IGrainStorageSerializer
{
    /// <summary>Also used for ledger snapshots, so every stored JSON document follows one convention.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, Options));

    public T Deserialize<T>(BinaryData input) => input.ToObjectFromJson<T>(Options)!;

    /// <summary>Whether two values would be stored alike: record equality stops at the lists and maps inside them.</summary>
    public static bool SameStoredForm<T>(T? a, T? b) where T : class =>
        a is not null && b is not null && JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
