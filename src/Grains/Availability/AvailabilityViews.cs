using Oms.Contracts.Availability;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;

namespace Oms.Grains.Availability;

/// <summary>Turns the raw network view (ATP at every location) into what a given reader may promise.</summary>
public static class AvailabilityViews
{
    /// <param name="profiles">Location profiles by id; a location without one is treated as unknown and left out.</param>
    public static SkuAvailability Apply(SkuAvailability raw, AvailabilityView view, IReadOnlyDictionary<string, LocationInfo> profiles)
    {
        if (view == AvailabilityView.Store)
        {
            return raw;
        }

        var locations = new List<LocationAvailability>(raw.Locations.Count);
        foreach (var location in raw.Locations)
        {
            if (!profiles.TryGetValue(location.LocationId, out var profile)
                || !profile.IsActive
                || !profile.Can(LocationCapability.ShipToCustomer))
            {
                continue;
            }

            locations.Add(location with { Available = profile.OnlineAvailable(raw.Sku, location.Available, LocationCapability.ShipToCustomer) });
        }

        locations.Sort((a, b) => b.Available != a.Available ? b.Available.CompareTo(a.Available) : string.CompareOrdinal(a.LocationId, b.LocationId));
        return new SkuAvailability(raw.Sku, locations.Sum(l => l.Available), locations);
    }
}
