using Oms.Contracts;

namespace Oms.Grains;

/// <summary>A validation failure that names the request field (JSON path style) it is about.</summary>
public sealed record FieldError(string Field, string Message)
{
    public static readonly string IdRule = $"must be 1 to {Ids.MaxLength} letters, digits, '-', '_' or '.'.";

    /// <returns>null when <paramref name="value"/> is a valid id.</returns>
    public static FieldError? ForId(string field, string? value) => Ids.IsValid(value) ? null : new FieldError(field, IdRule);

    public override string ToString() => $"{Field}: {Message}";
}
