using System.Globalization;
using System.Net.Mail;
using Oms.Contracts;

namespace Oms.Grains;

/// <summary>A validation failure that names the request field (JSON path style) it is about.</summary>
public sealed record FieldError(string Field, string Message)
{
    public static readonly string IdRule = $"must be 1 to {Ids.MaxLength} letters, digits, '-', '_' or '.', starting with a letter or digit.";

    /// <returns>null when <paramref name="value"/> is a valid id.</returns>
    public static FieldError? ForId(string field, string? value) => Ids.IsValid(value) ? null : new FieldError(field, IdRule);

    /// <summary>
    /// Free text that people read and that ends up in logs, e-mails and exports: a control character (NUL, CR, LF …)
    /// there only ever comes from a broken client or an injection attempt, never from a real name or address.
    /// </summary>
    /// <returns>null when <paramref name="value"/> is acceptable; an optional value may be absent or blank.</returns>
    public static FieldError? ForText(string field, string? value, int maxLength, bool required = true)
    {
        var acceptable = required
            ? !string.IsNullOrWhiteSpace(value) && value.Length <= maxLength && !value.Any(char.IsControl)
            : value is null || (value.Length <= maxLength && !value.Any(char.IsControl));
        return acceptable
            ? null
            : new FieldError(field, $"must be {(required ? "1" : "0")} to {maxLength} characters, with no control characters.");
    }

    /// <summary>One mailbox and nothing else: no display name, no spaces, no header continuation.</summary>
    public static FieldError? ForEmail(string field, string? value) =>
        value is { Length: <= 254 } && !value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            && MailAddress.TryCreate(value, out var address) && address.Address == value && address.Host.Length > 0
            ? null
            : new FieldError(field, "must be one e-mail address, such as ada@example.com.");

    /// <summary>An ISO 3166-1 alpha-2 code the platform's regional data knows, so "ZZ" is refused everywhere alike.</summary>
    public static FieldError? ForCountryCode(string field, string? value) =>
        value is { Length: 2 } && value.All(char.IsAsciiLetter) && IsKnownRegion(value)
            ? null
            : new FieldError(field, "must be an ISO 3166-1 alpha-2 code, such as FR.");

    public override string ToString() => $"{Field}: {Message}";

    private static bool IsKnownRegion(string code)
    {
        try
        {
            _ = new RegionInfo(code);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
