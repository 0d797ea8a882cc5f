using Oms.Contracts;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;

namespace Oms.Capacity;

/// <summary>
/// The synthetic catalogue both measurements load: item i is SKU-(i / 20) at LOC-(i % 20). The SQL bulk load
/// and the grain keys are derived here side by side, because a mismatch would read as empty positions.
/// </summary>
public static class Catalogue
{
    public const int LocationCount = 20;

    public static string Sku(int item) => $"SKU-{item / LocationCount}";

    public static string LocationId(int item) => $"LOC-{item % LocationCount}";

    public static string StockItemKey(int item) => Ids.StockItemKey(LocationId(item), Sku(item));

    /// <summary>Varies per item, so a read that returns the right figure proves it came from that item's row.</summary>
    public static int OnHand(int item) => 100 + item % 50;

    public static int SkuCount(int items) => (items + LocationCount - 1) / LocationCount;

    /// <summary>One INSERT of every position, as <c>snapshotApplied</c> movements the way a first feed writes them.</summary>
    public static string BulkLoadSql { get; } = $"""
        INSERT INTO oms_stock_ledger (stock_key, seq, batch, kind, quantity, reference, at, expires_at, safety_stock, feed_sequence)
        SELECT 'SKU-' || (i / {LocationCount}) || '@LOC-' || (i % {LocationCount}), 1, 1, 'snapshotApplied', 100 + i % 50,
               'feed:1', now(), NULL, 0, 1
        FROM generate_series(0, @items - 1) AS i
        """;

    public static IReadOnlyList<LocationInfo> Locations { get; } =
    [
        .. Enumerable.Range(0, LocationCount).Select(m => new LocationInfo(
            $"LOC-{m}",
            $"Capacity location {m}",
            // A few warehouses and many boutiques, like the network the issue describes.
            m < 4 ? LocationType.Warehouse : LocationType.Boutique,
            45 + m * 0.1,
            2 + m * 0.1,
            "FR",
            "Europe/Paris")),
    ];

    public static async Task RegisterLocationsAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        foreach (var location in Locations)
        {
            await grains.GetGrain<ILocationGrain>(location.LocationId).Upsert(location).WaitAsync(cancellationToken);
        }
    }

    public static void Verify(int item, StockLevel level)
    {
        // A wrong key would activate an empty item and still "succeed", measuring nothing that was loaded.
        if (level.OnHand != OnHand(item))
        {
            throw new InvalidOperationException(
                $"{StockItemKey(item)} read on hand {level.OnHand}, not the {OnHand(item)} loaded; the keys do not match the bulk load.");
        }
    }
}
