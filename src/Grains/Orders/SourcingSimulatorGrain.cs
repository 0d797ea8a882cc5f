using Oms.Contracts.Orders;
using Oms.Contracts.Reservations;
using Oms.Grains.Reservations;
using Orleans.Concurrency;

namespace Oms.Grains.Orders;

/// <summary>
/// "What would checkout do with this body?", answered by the same <see cref="CheckoutSourcing"/> the order grain
/// uses: a reservation or a hold that checkout would refuse is refused here too, and held lines are planned where
/// they are held. It reads only: no reservation is consumed and no unit allocated.
/// </summary>
[StatelessWorker]
public sealed class SourcingSimulatorGrain(TimeProvider clock) : Grain, ISourcingSimulatorGrain
{
    public async Task<SimulationResult> Simulate(PlaceOrder request)
    {
        var sourcing = new CheckoutSourcing(GrainFactory, clock);
        var reserved = new Dictionary<string, ReservationLine>(StringComparer.Ordinal);
        if (request.ReservationId is { } reservationId)
        {
            // Checkout consumes it only while it is held and unexpired (the view reports an expired one as such).
            if (await GrainFactory.GetGrain<IReservationGrain>(reservationId).Get() is not { Status: ReservationStatus.Held } reservation
                || !ReservationRules.IsFor(reservation.CustomerId, request.Customer.CustomerId))
            {
                return new SimulationResult([], [], new SimulationRefusal(null, CheckoutSourcing.ReservationUnusable(reservationId)));
            }

            foreach (var line in reservation.Lines)
            {
                reserved[line.Sku] = line;
            }
        }

        if (await sourcing.UnusableHold(request) is { } unusable)
        {
            return new SimulationResult([], [unusable.Line], new SimulationRefusal(unusable.Line.LineId, unusable.Message));
        }

        CheckoutSourcing.PinHolds(request, reserved);
        var (plan, _) = await sourcing.Source(request, reserved);
        return new SimulationResult(plan.Fulfilments, plan.Unsourced, null);
    }
}
