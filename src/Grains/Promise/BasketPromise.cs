using Oms.Contracts.Availability;
using Oms.Contracts.Orders;
using Oms.Grains.Sourcing;

namespace Oms.Grains.Promise;

/// <summary>A ship-to-home option of a basket: one carrier service, and the shipments sourcing would make for it.</summary>
/// <param name="EarliestDelivery">When the last parcel's window opens: the basket is complete no earlier.</param>
/// <param name="OrderBy">The first cut-off among the shipments: missing any one of them moves the date.</param>
public sealed record ShipOption(
    string CarrierId, string ServiceId, DateOnly EarliestDelivery, DateOnly LatestDelivery, DateTimeOffset OrderBy,
    IReadOnlyList<string> ShipsFrom, int Shipments);

public sealed record BasketPromiseResult(IReadOnlyList<ShipOption> Options, IReadOnlyList<UnsourcedLine> Unsourced);

/// <summary>
/// The promise of a basket before checkout, option by option: for each carrier service, the plan sourcing would
/// choose if the customer picked it (sources it cannot carry from left out), and the dates of that plan.
/// </summary>
public static class BasketPromise
{
    /// <remarks>A service that can carry only part of what the network can source is not offered: the customer would
    /// choose it and then be told at checkout that some of the basket cannot come that way.</remarks>
    public static BasketPromiseResult Ship(
        PromiseNetwork network, SourcingProfile profile, IReadOnlyList<SourcingLine> lines, IReadOnlyDictionary<string, SkuAvailability> views,
        PromiseDestination destination, DateTimeOffset now, Func<string, DateOnly, bool>? full = null)
    {
        var none = new Dictionary<string, string>();
        var any = new ShipmentPromiser(network, destination, now, full: full);
        var reference = Plan(network, profile, Demand(lines, destination), views, any, none);
        // A plan is all or nothing: the options are for what can be sourced, and the rest is listed with its reason.
        var sourceable = Demand([.. lines.Where(l => reference.Unsourced.All(u => u.LineId != l.LineId))], destination);
        var options = new List<ShipOption>();
        foreach (var service in sourceable.Lines.Count == 0 ? [] : network.Services)
        {
            var promiser = new ShipmentPromiser(network, destination, now, service.CarrierId, service.ServiceId, full);
            var plan = Plan(network, profile, sourceable, views, promiser, none);
            if (!plan.Complete || plan.Fulfilments.Count == 0)
            {
                continue;
            }

            var promises = promiser.ShipPromises(plan.Fulfilments).Select(p => p.Promise).ToList();
            options.Add(new ShipOption(
                service.CarrierId, service.ServiceId,
                promises.Max(p => p.EarliestDelivery), promises.Max(p => p.LatestDelivery), promises.Min(p => p.OrderBy),
                [.. plan.Fulfilments.Select(f => f.LocationId).Distinct()], plan.Fulfilments.Count));
        }

        options.Sort((a, b) => (a.EarliestDelivery, a.LatestDelivery).CompareTo((b.EarliestDelivery, b.LatestDelivery)) is var c and not 0 ? c
            : b.OrderBy.CompareTo(a.OrderBy) is var d and not 0 ? d
            : (string.CompareOrdinal(a.CarrierId, b.CarrierId) is var e and not 0 ? e : string.CompareOrdinal(a.ServiceId, b.ServiceId)));
        return new BasketPromiseResult(options, reference.Unsourced);
    }

    private static SourcingDemand Demand(IReadOnlyList<SourcingLine> lines, PromiseDestination destination) =>
        new(lines, DeliveryMethod.ShipToHome, destination.Latitude, destination.Longitude, null);

    private static SourcingResult Plan(
        PromiseNetwork network, SourcingProfile profile, SourcingDemand demand, IReadOnlyDictionary<string, SkuAvailability> views,
        ShipmentPromiser promiser, IReadOnlyDictionary<string, string> excluded) =>
        SourcingEngine.Plan(demand, profile, network.Locations, views, promiser.Excluding(views.Values, excluded),
            l => promiser.Fastest(l.LocationId)?.EarliestDelivery);
}
