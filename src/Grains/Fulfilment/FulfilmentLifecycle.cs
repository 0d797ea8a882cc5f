using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;

// Plural: the singular would shadow the Fulfilment record (a sourcing plan's part) everywhere under Oms.Grains.
namespace Oms.Grains.Fulfilments;

/// <summary>What happens to a fulfilment: what a location reports, and what the OMS decides (deadlines, cancellation).</summary>
public enum FulfilmentStep
{
    Accept,
    Reject,
    Pack,
    Ship,
    Deliver,
    Receive,
    ReadyForPickup,
    Collect,
    /// <summary>The pickup deadline passed.</summary>
    Expire,
    /// <summary>The acceptance deadline passed: a rejection the location did not send.</summary>
    TimeOut,
    Cancel,
}

public enum StepOutcome
{
    /// <summary>The fulfilment moves to <see cref="StepDecision.To"/>, through <see cref="StepDecision.Entered"/>.</summary>
    Applied,
    /// <summary>It is already past this step (a late or repeated report): recorded, nothing changes.</summary>
    AlreadyPast,
    /// <summary>A physical fact about cancelled units: the cancellation is reversed and the fact applied.</summary>
    CancellationReversed,
    /// <summary>Not possible from here; <see cref="StepDecision.Reason"/> says why.</summary>
    Impossible,
}

/// <param name="Entered">Every status entered, in order, the last being <paramref name="To"/>: a report that skips
/// steps (shipped straight from requested) implies those before it, and the ones with stock effects (received)
/// must be applied too.</param>
public sealed record StepDecision(StepOutcome Outcome, FulfilmentStatus From, FulfilmentStatus To, IReadOnlyList<FulfilmentStatus> Entered, string? Reason = null);

/// <summary>
/// The fulfilment state machine, per mode:
/// ship <c>requested → accepted → packed → shipped → delivered</c>;
/// pickup <c>requested → accepted → readyForPickup → collected | expired</c>;
/// transfer <c>requested → accepted → packed → shipped → received → readyForPickup → collected | expired</c>;
/// and <c>rejected</c> or <c>cancelled</c> before the units leave (or, for a pickup, before they are collected).
/// An exchange's replacement may start <c>onHold</c>: allocated, cancellable, and otherwise untouchable until released.
/// </summary>
/// <remarks>
/// Locations report what happened, and reports arrive late, twice or out of order. So a report further along the
/// path than the status moves it there and implies the steps between (a WMS that never sends "packed" still
/// ships), while one behind the status is acknowledged and changes nothing. Two steps cannot be implied: a
/// collection needs the pickup code issued when the parcel was ready, and expiry only follows readiness. A
/// physical fact (shipped, delivered, received, collected) about cancelled units beats the intention: the
/// cancellation is reversed, because the parcel left whatever the OMS had decided.
/// </remarks>
/// <summary>What moving an order's pickup to another boutique does to one of its fulfilments.</summary>
public enum PickupMove
{
    /// <summary>Its open units are withdrawn and sourced again for the new boutique.</summary>
    Moves,
    /// <summary>It holds nothing any more (rejected or cancelled): it stays as history.</summary>
    Stays,
    /// <summary>Its units are past the point of going elsewhere: the change is refused.</summary>
    Fixed,
}

public static class FulfilmentLifecycle
{
    private static readonly FulfilmentStatus[] ShipPath =
        [FulfilmentStatus.Requested, FulfilmentStatus.Accepted, FulfilmentStatus.Packed, FulfilmentStatus.Shipped, FulfilmentStatus.Delivered];

    private static readonly FulfilmentStatus[] PickupPath =
        [FulfilmentStatus.Requested, FulfilmentStatus.Accepted, FulfilmentStatus.ReadyForPickup, FulfilmentStatus.Collected];

    private static readonly FulfilmentStatus[] TransferPath =
    [
        FulfilmentStatus.Requested, FulfilmentStatus.Accepted, FulfilmentStatus.Packed, FulfilmentStatus.Shipped,
        FulfilmentStatus.Received, FulfilmentStatus.ReadyForPickup, FulfilmentStatus.Collected,
    ];

    public static IReadOnlyList<FulfilmentStatus> Path(FulfilmentMode mode) => mode switch
    {
        FulfilmentMode.Ship => ShipPath,
        FulfilmentMode.Pickup => PickupPath,
        _ => TransferPath,
    };

    public static bool IsTerminal(FulfilmentStatus status) => status is
        FulfilmentStatus.Delivered or FulfilmentStatus.Collected or FulfilmentStatus.Expired or FulfilmentStatus.Rejected or FulfilmentStatus.Cancelled;

    /// <summary>Whether the customer may still cancel these units: before they ship, or for a pickup before they are collected.</summary>
    public static bool IsCancellable(FulfilmentMode mode, FulfilmentStatus status) =>
        status == FulfilmentStatus.OnHold || (!IsTerminal(status) && (mode != FulfilmentMode.Ship || Before(mode, status, FulfilmentStatus.Shipped)));

    /// <summary>Whether the location may still refuse the units: before they leave (or, for a pickup, before they are set aside).</summary>
    public static bool IsRejectable(FulfilmentMode mode, FulfilmentStatus status) =>
        !IsTerminal(status) && Before(mode, status, mode == FulfilmentMode.Pickup ? FulfilmentStatus.ReadyForPickup : FulfilmentStatus.Shipped);

    /// <summary>
    /// Whether a click-and-collect fulfilment lets the order's pickup boutique change. Its units may go elsewhere
    /// while they sit on a shelf the OMS can release: at the source before a transfer leaves, or at the old
    /// boutique once a transfer is received there. Once on the road, ready at the counter, collected or expired,
    /// the parcel is a physical fact at one boutique, and moving the order would strand it.
    /// </summary>
    public static (PickupMove Move, string? Reason) OnPickupChange(FulfilmentMode mode, FulfilmentStatus status) => (mode, status) switch
    {
        (_, FulfilmentStatus.Rejected or FulfilmentStatus.Cancelled) => (PickupMove.Stays, null),
        (FulfilmentMode.Ship, _) => (PickupMove.Fixed, "a shipment to the customer has no pickup boutique"),
        (_, FulfilmentStatus.Requested or FulfilmentStatus.Accepted) => (PickupMove.Moves, null),
        (FulfilmentMode.Transfer, FulfilmentStatus.Packed or FulfilmentStatus.Received) => (PickupMove.Moves, null),
        (FulfilmentMode.Transfer, FulfilmentStatus.Shipped) => (PickupMove.Fixed, "its units are on their way to the pickup boutique; change it once they are received"),
        (_, FulfilmentStatus.ReadyForPickup) => (PickupMove.Fixed, "it is ready for pickup"),
        (_, FulfilmentStatus.Collected) => (PickupMove.Fixed, "it was collected"),
        (_, FulfilmentStatus.Expired) => (PickupMove.Fixed, "it expired uncollected"),
        (_, FulfilmentStatus.OnHold) => (PickupMove.Fixed, "it is an exchange's replacement, held until the return arrives"),
        _ => (PickupMove.Fixed, $"a {Name(mode)} fulfilment is never {Name(status)}"),
    };

    /// <param name="cancelledFrom">For a cancelled fulfilment, the status it was cancelled in: a reversal enters only
    /// the steps after it (a transfer cancelled once received is not received twice).</param>
    public static StepDecision Decide(FulfilmentMode mode, FulfilmentStatus current, FulfilmentStep step, FulfilmentStatus cancelledFrom = FulfilmentStatus.Requested)
    {
        if (!Reachable(mode, current))
        {
            return No(current, $"a {Name(mode)} fulfilment is never {Name(current)}");
        }

        if (current == FulfilmentStatus.OnHold && step is not (FulfilmentStep.Cancel or FulfilmentStep.TimeOut or FulfilmentStep.Expire))
        {
            return No(current, "it is an exchange's replacement, held until the return arrives");
        }

        switch (step)
        {
            case FulfilmentStep.Cancel:
                return current == FulfilmentStatus.Cancelled ? Past(current)
                    : IsCancellable(mode, current) ? Move(current, FulfilmentStatus.Cancelled)
                    : No(current, IsTerminal(current) ? $"it is already {Name(current)}" : $"the units are {Name(current)}; it is too late to cancel them");
            case FulfilmentStep.Reject:
                return current == FulfilmentStatus.Rejected ? Past(current)
                    : IsRejectable(mode, current) ? Move(current, FulfilmentStatus.Rejected)
                    : No(current, IsTerminal(current) ? $"it is already {Name(current)}" : $"the units are {Name(current)}; they can no longer be rejected");
            case FulfilmentStep.TimeOut:
                // Only an unanswered request times out; an acceptance that raced the deadline wins.
                return current == FulfilmentStatus.Requested ? Move(current, FulfilmentStatus.Rejected) : Past(current);
            case FulfilmentStep.Expire:
                // A deadline that fires after a collection or cancellation (or, stale, before readiness) changes nothing.
                return mode == FulfilmentMode.Ship ? No(current, "a shipment to the customer does not expire")
                    : current == FulfilmentStatus.ReadyForPickup ? Move(current, FulfilmentStatus.Expired)
                    : Past(current);
            case FulfilmentStep.Collect when current != FulfilmentStatus.ReadyForPickup && current != FulfilmentStatus.Collected
                && current != FulfilmentStatus.Cancelled:
                return No(current, Path(mode).Contains(FulfilmentStatus.Collected)
                    ? $"it is {Name(current)}; only a parcel ready for pickup can be collected"
                    : "a shipment to the customer is not collected");
        }

        var target = Target(step);
        var path = Path(mode);
        var to = Array.IndexOf((FulfilmentStatus[])path, target);
        if (to < 0)
        {
            return No(current, $"a {Name(mode)} fulfilment is never {Name(target)}");
        }

        if (current == FulfilmentStatus.Cancelled && IsPhysical(step))
        {
            var was = Math.Max(0, Array.IndexOf((FulfilmentStatus[])path, cancelledFrom));
            return to <= was
                ? No(current, $"it was cancelled once {Name(cancelledFrom)}")
                : new StepDecision(StepOutcome.CancellationReversed, current, target, [.. path.Skip(was + 1).Take(to - was)]);
        }

        if (current is FulfilmentStatus.Rejected or FulfilmentStatus.Expired or FulfilmentStatus.Cancelled)
        {
            return No(current, $"it is {Name(current)}");
        }

        var from = Array.IndexOf((FulfilmentStatus[])path, current);
        return to <= from ? Past(current) : new StepDecision(StepOutcome.Applied, current, target, [.. path.Skip(from + 1).Take(to - from)]);
    }

    private static bool Reachable(FulfilmentMode mode, FulfilmentStatus status) =>
        status is FulfilmentStatus.Rejected or FulfilmentStatus.Cancelled or FulfilmentStatus.OnHold
        || (status == FulfilmentStatus.Expired && mode != FulfilmentMode.Ship)
        || Path(mode).Contains(status);

    private static bool IsPhysical(FulfilmentStep step) =>
        step is FulfilmentStep.Ship or FulfilmentStep.Deliver or FulfilmentStep.Receive or FulfilmentStep.Collect;

    private static FulfilmentStatus Target(FulfilmentStep step) => step switch
    {
        FulfilmentStep.Accept => FulfilmentStatus.Accepted,
        FulfilmentStep.Pack => FulfilmentStatus.Packed,
        FulfilmentStep.Ship => FulfilmentStatus.Shipped,
        FulfilmentStep.Deliver => FulfilmentStatus.Delivered,
        FulfilmentStep.Receive => FulfilmentStatus.Received,
        FulfilmentStep.ReadyForPickup => FulfilmentStatus.ReadyForPickup,
        FulfilmentStep.Collect => FulfilmentStatus.Collected,
        _ => throw new ArgumentOutOfRangeException(nameof(step), step, "not a step along the path"),
    };

    /// <summary>Whether <paramref name="status"/> comes before <paramref name="limit"/> on the mode's path.</summary>
    private static bool Before(FulfilmentMode mode, FulfilmentStatus status, FulfilmentStatus limit)
    {
        var path = (FulfilmentStatus[])Path(mode);
        var at = Array.IndexOf(path, status);
        var end = Array.IndexOf(path, limit);
        return at >= 0 && (end < 0 || at < end);
    }

    private static StepDecision Move(FulfilmentStatus from, FulfilmentStatus to) => new(StepOutcome.Applied, from, to, [to]);

    private static StepDecision Past(FulfilmentStatus current) => new(StepOutcome.AlreadyPast, current, current, []);

    private static StepDecision No(FulfilmentStatus current, string reason) => new(StepOutcome.Impossible, current, current, [], reason);

    public static string Name(FulfilmentStatus status) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(status.ToString());

    private static string Name(FulfilmentMode mode) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(mode.ToString());
}
