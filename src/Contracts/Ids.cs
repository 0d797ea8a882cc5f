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
        // A leading letter or digit rules out "." and "..", which a path cannot address (they are dot-segments),
        // and ids that read as options or hidden names.
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength || !char.IsAsciiLetterOrDigit(id[0]))
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

    /// <summary>
    /// How a hold placed directly on a stock item is named in that item's holds and ledger. ':' is outside the id
    /// alphabet, so a direct hold can never be mistaken for a basket reservation's hold with the same id.
    /// </summary>
    public static string StockHoldReference(string holdId) => $"hold:{holdId}";

    /// <summary>
    /// How a basket reservation's holds are named at its stock items: the id itself at first, and after a
    /// failed and rolled-back try, the id with its attempt ('~' is outside the id alphabet, so never ambiguous).
    /// </summary>
    public static string ReservationHoldKey(string reservationId, int attempt) =>
        attempt == 0 ? reservationId : $"{reservationId}~{attempt}";
}
