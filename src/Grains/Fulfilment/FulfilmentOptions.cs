using Oms.Contracts.Locations;

namespace Oms.Grains.Fulfilments;

/// <summary><c>Oms:Fulfilment:*</c>.</summary>
public sealed class FulfilmentOptions
{
    /// <summary>
    /// The length of one of a profile's <c>acceptWithinMinutes</c>. A minute in production; tests and demos shorten
    /// it so a missed deadline can be watched without waiting half an hour.
    /// </summary>
    public TimeSpan AcceptMinute { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The length of one of a profile's <c>holdForPickupDays</c>; a day in production.</summary>
    public TimeSpan PickupDay { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How often an order with open fulfilments is woken by its reminder: after a crash, this bounds how late a
    /// deadline is enforced and how long news waits to reach the order and the work queues.
    /// </summary>
    public TimeSpan WatchPeriod { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan AcceptWithin(LocationInfo? location) =>
        AcceptMinute * (location?.EffectiveAcceptWithinMinutes ?? 30);

    public TimeSpan HoldForPickup(LocationInfo? location) =>
        PickupDay * (location?.EffectiveHoldForPickupDays ?? 7);
}
