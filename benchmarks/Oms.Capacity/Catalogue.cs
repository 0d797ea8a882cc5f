using Oms.Contracts;
using Oms.Contracts.Locations;
using Oms.Contracts.Stock;

namespace Oms.Capacity;

/// <summary>
/// The synthetic catalogue every measurement loads: item i is SKU-(i / L) at LOC-(i % L), for L locations. The SQL
/// bulk load and the grain keys are derived here side by side, because a mismatch would read as empty positions.
/// Items 0 to k·L − 1 are therefore k whole SKUs at every location: the shape of a flash sale on a few products.
/// </summary>
public sealed class Catalogue(int locationCount)
{
    public int LocationCount { get; } = locationCount;

    public string Sku(int item) => $"SKU-{item / LocationCount}";

    public string LocationId(int item) => $"LOC-{item % LocationCount}";

    public string StockItemKey(int item) => Ids.StockItemKey(LocationId(item), Sku(item));

    /// <summary>Varies per item, so a read that returns the right figure proves it came from that item's row.</summary>
    public static int OnHand(int item) => 100 + item % 50;

    public int SkuCount(int items) => (items + LocationCount - 1) / LocationCount;

    /// <summary>One INSERT of every position, as <c>snapshotApplied</c> movements the way a first feed writes them.</summary>
    public string BulkLoadSql => $"""
        INSERT INTO oms_stock_ledger (stock_key, seq, batch, kind, quantity, reference, at, expires_at, safety_stock, feed_sequence)
        SELECT 'SKU-' || (i / {LocationCount}) || '@LOC-' || (i % {LocationCount}), 1, 1, 'snapshotApplied', 100 + i % 50,
               'feed:1', now(), NULL, 0, 1
        FROM generate_series(0, @items - 1) AS i
        """;

    public IReadOnlyList<LocationInfo> Locations() =>
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

    public async Task RegisterLocationsAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        foreach (var location in Locations())
        {
            await grains.GetGrain<ILocationGrain>(location.LocationId).Upsert(location).WaitAsync(cancellationToken);
        }
    }

    public void Verify(int item, StockLevel level)
    {
        // A wrong key would activate an empty item and still "succeed", measuring nothing that was loaded.
        if (level.OnHand != OnHand(item))
        {
            throw new InvalidOperationException(
                $"{StockItemKey(item)} read on hand {level.OnHand}, not the {OnHand(item)} loaded; the keys do not match the bulk load.");
        }
    }
}
