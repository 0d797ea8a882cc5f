using System.Text.Json;
using Oms.Contracts;
using Oms.Contracts.Availability;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Reservations;
using Oms.Contracts.Stock;
using Oms.Contracts.Promise;
using Oms.Grains.Promise;
using Oms.Grains.Reservations;
using Oms.Grains.Sourcing;

namespace Oms.Grains.Orders;

/// <summary>A line that names a stock hold checkout cannot use, and the refusal to give.</summary>
public sealed record UnusableHold(UnsourcedLine Line, string Message);

/// <summary>A checkout's plan, the network's locations as sourcing saw them, and each shipment's delivery promise.</summary>
/// <param name="Promises">By fulfilment id of <see cref="Plan"/>: what each shipment promises, when carriers are configured.</param>
public sealed record SourcedPlan(
    SourcingResult Plan, IReadOnlyDictionary<string, LocationInfo> Locations, IReadOnlyDictionary<string, PromisedDelivery> Promises)
{
    public void Deconstruct(out SourcingResult plan, out IReadOnlyDictionary<string, LocationInfo> locations) =>
        (plan, locations) = (Plan, Locations);
}

/// <summary>
/// The half of a checkout that decides without changing anything: whether the holds a basket names can be used,
/// and the plan on live availability with held lines pinned where they are held. The order grain and the
/// sourcing simulation both use it, so a simulation tells the truth the checkout will tell.
/// </summary>
public sealed class CheckoutSourcing(IGrainFactory grains, TimeProvider clock)
{
    public static string ReservationUnusable(string reservationId) =>
        $"Reservation '{reservationId}' is unknown, expired, released, used by another order or held for another customer.";

    /// <summary>A line naming a hold is sold from that hold: it is pinned to the hold's location and quantity.</summary>
    public static void PinHolds(PlaceOrder request, Dictionary<string, ReservationLine> reserved)
    {
        foreach (var line in request.Lines)
        {
            if (line.Hold is { } hold)
            {
                reserved[line.Sku] = new ReservationLine(line.Sku, hold.LocationId, line.Quantity);
            }
        }
    }

    /// <summary>
    /// A line naming a hold is sold from that hold, so the hold must be open and for the line's quantity; a
    /// stale or mistyped hold id is refused rather than quietly sold from free stock.
    /// </summary>
    /// <returns>The first line whose hold cannot be used, or null when every named hold is open.</returns>
    public async Task<UnusableHold?> UnusableHold(PlaceOrder request)
    {
        var held = request.Lines.Where(l => l.Hold is not null).ToList();
        var views = await Task.WhenAll(held.Select(l =>
            grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(l.Hold!.LocationId, l.Sku)).GetHold(Ids.StockHoldReference(l.Hold.HoldId))));
        for (var i = 0; i < held.Count; i++)
        {
            var (line, view) = (held[i], views[i]);
            if (view is not { Status: HoldStatus.Held } || view.Quantity != line.Quantity || !ReservationRules.IsFor(view.CustomerId, request.Customer.CustomerId))
            {
                var why = view is null ? "unknown"
                    : view.Status != HoldStatus.Held ? JsonNamingPolicy.CamelCase.ConvertName(view.Status.ToString())
                    : view.Quantity != line.Quantity ? $"held for {view.Quantity}, not {line.Quantity}"
                    : "held for another customer";
                return new UnusableHold(new UnsourcedLine(line.LineId, line.Sku, line.Quantity, 0, why),
                    $"Hold '{line.Hold!.HoldId}' of line {line.LineId} at {line.Hold.LocationId} cannot be used: {why}.");
            }
        }

        return null;
    }

    /// <returns>The plan, and the network's locations as sourcing saw them (a boutique's shipments use
    /// ship-from-store capacity; each location's profile sets how long it has to accept).</returns>
    /// <param name="own">Units this order already holds, per SKU and location, that the plan may use again: the
    /// views count them as taken, and an order moving its own units elsewhere must not be short of itself.</param>
    public async Task<SourcedPlan> Source(
        PlaceOrder request, IReadOnlyDictionary<string, ReservationLine> reserved, IReadOnlyDictionary<string, string>? excluded = null,
        IReadOnlyList<LineAllocationAt>? own = null)
    {
        var open = request.Lines.Where(l => !IsReserved(l, reserved)).ToList();
        var fulfilments = new List<Fulfilment>();
        foreach (var group in request.Lines.Where(l => IsReserved(l, reserved)).GroupBy(l => reserved[l.Sku].LocationId))
        {
            var mode = request.Delivery.Method == DeliveryMethod.ClickAndCollect
                ? group.Key == request.Delivery.PickupLocationId ? FulfilmentMode.Pickup : FulfilmentMode.Transfer
                : FulfilmentMode.Ship;
            fulfilments.Add(new Fulfilment($"R{fulfilments.Count + 1}", group.Key, mode,
                [.. group.Select(l => new FulfilmentLine(l.LineId, l.Quantity))],
                new SourcingExplanation($"held by {HeldBy(request, group)}: the held units are the ones allocated", "reservation", [])));
        }

        var channel = JsonNamingPolicy.CamelCase.ConvertName(request.Channel.ToString());
        var method = JsonNamingPolicy.CamelCase.ConvertName(request.Delivery.Method.ToString());
        var profileTask = grains.GetGrain<ISourcingProfileGrain>($"{channel}-{method}").Get();
        var inputs = await grains.GetGrain<INetworkGrain>(0).GetSourcingInputs([.. open.Select(l => l.Sku)]);
        var locations = inputs.Locations.ToDictionary(l => l.LocationId, StringComparer.Ordinal);
        var promiser = ShipmentPromiser.For(request, new PromiseNetwork(inputs.Locations, inputs.Carriers ?? []), clock.GetUtcNow());
        if (open.Count == 0)
        {
            return new(new SourcingResult(fulfilments, []), locations, promiser?.Promises(fulfilments) ?? NoPromises);
        }

        var demand = new SourcingDemand(
            [.. open.Select(l => new SourcingLine(l.LineId, l.Sku, l.Quantity))],
            request.Delivery.Method, request.Delivery.Address?.Latitude, request.Delivery.Address?.Longitude, request.Delivery.PickupLocationId);
        var views = inputs.Views.Select(v => Credit(v, own, locations)).ToDictionary(v => v.Sku);
        var result = SourcingEngine.Plan(demand, await profileTask, inputs.Locations, views,
            promiser?.Excluding(views.Values, excluded ?? new Dictionary<string, string>()) ?? excluded, promiser is null ? null : l => promiser.Fastest(l.LocationId)?.EarliestDelivery);
        var all = new List<Fulfilment>([.. fulfilments, .. result.Fulfilments]);
        return new(new SourcingResult(all, result.Unsourced), locations, promiser?.Promises(all) ?? NoPromises);
    }

    private static readonly IReadOnlyDictionary<string, PromisedDelivery> NoPromises = new Dictionary<string, PromisedDelivery>();

    private static SkuAvailability Credit(SkuAvailability view, IReadOnlyList<LineAllocationAt>? own, IReadOnlyDictionary<string, LocationInfo> locations)
    {
        var mine = own?.Where(a => a.Sku == view.Sku && a.Quantity > 0).GroupBy(a => a.LocationId).ToDictionary(g => g.Key, g => g.Sum(a => a.Quantity));
        if (mine is null || mine.Count == 0)
        {
            return view;
        }

        var credited = view.Locations.Select(l => mine.TryGetValue(l.LocationId, out var units) ? l with { Available = l.Available + units } : l).ToList();
        credited.AddRange(mine.Where(m => view.Locations.All(l => l.LocationId != m.Key) && locations.ContainsKey(m.Key))
            .Select(m => new LocationAvailability(m.Key, locations[m.Key].Type, m.Value)));
        return view with { Available = view.Available + mine.Values.Sum(), Locations = credited };
    }

    private static bool IsReserved(OrderLine line, IReadOnlyDictionary<string, ReservationLine> reserved) =>
        reserved.TryGetValue(line.Sku, out var held) && held.Quantity == line.Quantity;

    private static string HeldBy(PlaceOrder request, IEnumerable<OrderLine> lines) =>
        request.ReservationId is { } reservationId
            ? $"reservation {reservationId}"
            : "stock hold " + string.Join(", ", lines.Select(l => l.Hold!.HoldId));
}
