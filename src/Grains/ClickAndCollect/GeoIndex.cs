namespace Oms.Grains.ClickAndCollect;

public static class Geo
{
    private const double EarthRadiusKm = 6371.0088;

    /// <summary>Great-circle distance (haversine): accurate to well under 1% at shop-finding distances.</summary>
    public static double DistanceKm(double lat1, double lon1, double lat2, double lon2)
    {
        static double Rad(double degrees) => degrees * Math.PI / 180;
        var dLat = Rad(lat2 - lat1);
        var dLon = Rad(lon2 - lon1);
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
              + Math.Cos(Rad(lat1)) * Math.Cos(Rad(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }
}

/// <summary>
/// Points bucketed in a one-degree grid, so a radius search looks at the few cells the circle touches instead
/// of every shop in the network. Immutable once built; rebuilt when the directory changes.
/// </summary>
public sealed class GeoIndex<T>
{
    private const double CellDegrees = 1.0;
    private const double KmPerDegreeLatitude = 111.2;

    private readonly Dictionary<(int, int), List<(double Lat, double Lon, T Item)>> _cells = [];

    public GeoIndex(IEnumerable<(double Lat, double Lon, T Item)> points)
    {
        foreach (var point in points)
        {
            var cell = Cell(point.Lat, point.Lon);
            if (!_cells.TryGetValue(cell, out var list))
            {
                _cells[cell] = list = [];
            }

            list.Add(point);
        }
    }

    /// <summary>Every item within <paramref name="radiusKm"/>, nearest first (ties keep grid order, which is stable).</summary>
    public IReadOnlyList<(T Item, double DistanceKm)> Within(double lat, double lon, double radiusKm)
    {
        var latSpan = radiusKm / KmPerDegreeLatitude;
        var minLat = Math.Max(-90, lat - latSpan);
        var maxLat = Math.Min(90, lat + latSpan);
        var cosLat = Math.Min(Math.Cos(minLat * Math.PI / 180), Math.Cos(maxLat * Math.PI / 180));
        // Near a pole, or for a radius wider than the cells, scan whole rows of longitude.
        var lonSpan = cosLat < 0.01 ? 180 : Math.Min(180, radiusKm / (KmPerDegreeLatitude * cosLat));

        var found = new List<(T Item, double DistanceKm)>();
        var seen = new HashSet<(int, int)>();
        for (var cellLat = CellOf(minLat); cellLat <= CellOf(maxLat); cellLat++)
        {
            for (var cellLon = CellOf(lon - lonSpan); cellLon <= CellOf(lon + lonSpan); cellLon++)
            {
                var wrapped = (cellLat, WrapLongitudeCell(cellLon));
                if (!seen.Add(wrapped) || !_cells.TryGetValue(wrapped, out var points))
                {
                    continue;
                }

                foreach (var point in points)
                {
                    var distance = Geo.DistanceKm(lat, lon, point.Lat, point.Lon);
                    if (distance <= radiusKm)
                    {
                        found.Add((point.Item, distance));
                    }
                }
            }
        }

        return [.. found.OrderBy(f => f.DistanceKm)];
    }

    private static (int, int) Cell(double lat, double lon) => (CellOf(lat), WrapLongitudeCell(CellOf(lon)));

    private static int CellOf(double degrees) => (int)Math.Floor(degrees / CellDegrees);

    private static int WrapLongitudeCell(int cell)
    {
        var cells = (int)(360 / CellDegrees);
        var shifted = ((cell + cells / 2) % cells + cells) % cells;
        return shifted - cells / 2;
    }
}
