using System.Globalization;

namespace Oms.LoadTest;

/// <summary>
/// The ids and shapes of the data the tool seeds and then loads. Seeding and scenarios both derive every id from
/// here, so a scenario can never ask for a SKU or location that the seeder named differently.
/// </summary>
internal sealed class Network(int locationCount, int catalogueSize)
{
    public int LocationCount { get; } = locationCount;

    public int CatalogueSize { get; } = catalogueSize;

    public static string LocationId(int index) => "LT-" + index.ToString("00", CultureInfo.InvariantCulture);

    public static string CatalogueSku(int index) => "CAT-" + index.ToString("000000", CultureInfo.InvariantCulture);

    public static LocationBody Location(int index)
    {
        // A mix of both location types, scattered over western Europe, so per-location logic sees realistic variety.
        var warehouse = index % 5 == 0;
        var latitude = 43.0 + (index * 0.37 % 9.0);
        var longitude = -1.5 + (index * 0.61 % 12.0);
        return new LocationBody(
            $"Load test {(warehouse ? "warehouse" : "boutique")} {index}", warehouse ? "warehouse" : "boutique",
            Math.Round(latitude, 4), Math.Round(longitude, 4), "FR", "Europe/Paris");
    }

    /// <summary>
    /// Deterministic so a re-seed sends identical snapshots (which the API then reports as duplicates); some
    /// positions are zero because a real catalogue is not stocked everywhere.
    /// </summary>
    public static int CatalogueOnHand(int skuIndex, int locationIndex) => (int)(((uint)skuIndex * 2654435761u + (uint)locationIndex * 40503u) % 41u);
}
