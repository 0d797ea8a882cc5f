namespace Oms.Grains.Locations;

/// <summary>
/// A boutique's ship-from-store assignments for one local day against its daily capacity. Idempotent per
/// order, and a new day starts from zero: a shop's capacity is about today's staff, not a running total.
/// </summary>
public sealed class ShipCapacity
{
    public DateOnly Day { get; set; }

    public HashSet<string> Orders { get; set; } = new(StringComparer.Ordinal);

    public int Used(DateOnly today) => today == Day ? Orders.Count : 0;

    /// <returns>true when the order holds a slot today (newly or already); false when the day is full.</returns>
    public bool TryAssign(string orderId, DateOnly today, int? capacity)
    {
        if (today != Day)
        {
            Day = today;
            Orders.Clear();
        }

        if (Orders.Contains(orderId))
        {
            return true;
        }

        if (capacity is { } limit && Orders.Count >= limit)
        {
            return false;
        }

        Orders.Add(orderId);
        return true;
    }

    /// <returns>true when a slot was given back.</returns>
    public bool Release(string orderId, DateOnly today) => today == Day && Orders.Remove(orderId);
}
