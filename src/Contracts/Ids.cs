namespace Oms.Contracts;

/// <summary>
/// The one rule for every identifier the OMS accepts from outside (SKUs, locations, reservations, adjustments).
/// Keeping ids to a small, URL-safe alphabet lets them be used in paths and composed into grain keys without escaping.
/// </summary>
public static class Ids
{
    public const int MaxLength = 64;

    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>'@' is outside the id alphabet, so the composed key can never collide or be ambiguous.</summary>
    public static string StockItemKey(string locationId, string sku) => $"{sku}@{locationId}";
}
