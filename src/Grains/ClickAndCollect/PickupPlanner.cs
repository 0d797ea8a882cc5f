using Oms.Contracts.Availability;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;
using Oms.Grains.Locations;

namespace Oms.Grains.ClickAndCollect;

/// <summary>
/// "Can I pick this up at a boutique near me, and when?" Pure: profiles, network views and the clock are
/// arguments, so every rule (online buffers, transfers, opening hours) is tested without a cluster.
/// </summary>
public sealed class PickupPlanner(TimeSpan transferTransit)
{
    /// <param name="nearby">Candidate locations within the radius, nearest first.</param>
    /// <param name="views">The network view of each SKU in the basket.</param>
    /// <param name="warehouses">Active locations that may send stock to a boutique.</param>
    public IReadOnlyList<PickupOption> Plan(
        IReadOnlyList<(LocationInfo Location, double DistanceKm)> nearby,
        IReadOnlyList<PickupLine> lines,
        IReadOnlyDictionary<string, SkuAvailability> views,
        IReadOnlyList<LocationInfo> warehouses,
        DateTimeOffset now,
        int limit)
    {
        var complete = new List<PickupOption>();
        var partial = new List<PickupOption>();
        var transferable = lines.ToDictionary(l => l.Sku, l => CanTransfer(l, views[l.Sku], warehouses));

        foreach (var (location, distance) in nearby)
        {
            if (complete.Count >= limit)
            {
                break;
            }

            if (!location.IsActive || !location.Can(LocationCapability.ClickAndCollect))
            {
                continue;
            }

            var lineOptions = lines.Select(line =>
            {
                var here = location.OnlineAvailable(line.Sku, views[line.Sku].AvailableAt(location.LocationId), LocationCapability.ClickAndCollect);
                var source = here >= line.Quantity ? LineSource.Here
                    : location.Can(LocationCapability.ReceivesTransfers) && transferable[line.Sku] ? LineSource.Transfer
                    : LineSource.Unavailable;
                return new PickupLineOption(line.Sku, line.Quantity, here, source);
            }).ToList();

            if (lineOptions.All(l => l.Source == LineSource.Unavailable))
            {
                continue;
            }

            var needsTransfer = lineOptions.Any(l => l.Source == LineSource.Transfer);
            var schedule = OpeningSchedule.For(location);
            var preparation = TimeSpan.FromMinutes(location.PickupPreparationMinutes);
            if (schedule.ReadyBy(needsTransfer ? now + transferTransit : now, preparation) is not { } readyBy)
            {
                continue;
            }

            var pickup = needsTransfer ? PickupKind.Transfer
                : schedule.LocalDate(readyBy) == schedule.LocalDate(now) ? PickupKind.Today
                : PickupKind.Later;
            var isPartial = lineOptions.Any(l => l.Source == LineSource.Unavailable);
            var option = new PickupOption(
                location.LocationId, location.Name, Math.Round(distance, 1), lineOptions[0].Available, pickup, readyBy, isPartial, lineOptions);
            (isPartial ? partial : complete).Add(option);
        }

        // Boutiques that serve the whole basket come first; partial ones only fill what is left of the limit.
        return [.. complete.Concat(partial).Take(limit)];
    }

    private static bool CanTransfer(PickupLine line, SkuAvailability view, IReadOnlyList<LocationInfo> warehouses) =>
        warehouses.Any(w => w.Type == LocationType.Warehouse
            && w.OnlineAvailable(line.Sku, view.AvailableAt(w.LocationId), LocationCapability.ShipToCustomer) >= line.Quantity);
}
