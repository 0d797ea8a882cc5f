using Oms.Contracts.Locations;

namespace Oms.Contracts.Orders;

[GenerateSerializer, Alias("oms.DeliveryMethod")]
public enum DeliveryMethod
{
    ShipToHome = 0,
    ClickAndCollect = 1,
}

[GenerateSerializer, Alias("oms.FulfilmentMode")]
public enum FulfilmentMode
{
    /// <summary>Shipped from this location to the customer.</summary>
    Ship = 0,
    /// <summary>Collected at this boutique from its own stock.</summary>
    Pickup = 1,
    /// <summary>Sent from this location to the pickup boutique (ship-to-store).</summary>
    Transfer = 2,
}

[GenerateSerializer, Alias("oms.SourcingCriterion")]
public enum SourcingCriterion
{
    LocationType = 0,
    Distance = 1,
    Priority = 2,
    /// <summary>The source whose delivery promise is earliest (Sterling's EDD).</summary>
    DeliveryDate = 3,
}

/// <summary>
/// How orders of one channel and delivery method are sourced. Fewest shipments always comes first; the
/// criteria then break ties in the order given.
/// </summary>
[GenerateSerializer, Immutable, Alias("oms.SourcingProfile")]
public sealed record SourcingProfile(
    [property: Id(0)] string ProfileId,
    [property: Id(1)] int MaxSplit,
    [property: Id(2)] IReadOnlyList<SourcingCriterion> Criteria,
    [property: Id(3)] IReadOnlyList<LocationType> TypePreference,
    [property: Id(4)] bool AllowShipFromBoutiques,
    [property: Id(5)] bool AllowBoutiqueTransfers)
{
    public static SourcingProfile Default(string profileId) => new(
        profileId, MaxSplit: 3, [SourcingCriterion.LocationType, SourcingCriterion.Distance, SourcingCriterion.Priority],
        [LocationType.Warehouse, LocationType.Boutique], AllowShipFromBoutiques: true, AllowBoutiqueTransfers: false);
}

/// <summary>One candidate location as the engine saw it: chosen, beaten (with its score) or excluded (with why).</summary>
[GenerateSerializer, Immutable, Alias("oms.CandidateVerdict")]
public sealed record CandidateVerdict(
    [property: Id(0)] string LocationId,
    [property: Id(1)] string Verdict,
    [property: Id(2)] string Reason,
    [property: Id(3)] double? DistanceKm,
    [property: Id(4)] int Priority,
    [property: Id(5)] int LinesCovered);

[GenerateSerializer, Immutable, Alias("oms.SourcingExplanation")]
public sealed record SourcingExplanation(
    [property: Id(0)] string Rule,
    [property: Id(1)] string ProfileId,
    [property: Id(2)] IReadOnlyList<CandidateVerdict> Candidates);

[GenerateSerializer, Immutable, Alias("oms.FulfilmentLine")]
public sealed record FulfilmentLine([property: Id(0)] string LineId, [property: Id(1)] int Quantity);

[GenerateSerializer, Immutable, Alias("oms.Fulfilment")]
public sealed record Fulfilment(
    [property: Id(0)] string FulfilmentId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] FulfilmentMode Mode,
    [property: Id(3)] IReadOnlyList<FulfilmentLine> Lines,
    [property: Id(4)] SourcingExplanation Explanation);

[GenerateSerializer, Immutable, Alias("oms.UnsourcedLine")]
public sealed record UnsourcedLine(
    [property: Id(0)] string LineId,
    [property: Id(1)] string Sku,
    [property: Id(2)] int Requested,
    [property: Id(3)] int Available,
    [property: Id(4)] string Reason);

/// <summary>Why a checkout of this body would be refused before sourcing: its reservation, or a line's hold.</summary>
/// <param name="LineId">The line whose hold cannot be used; null when it is the reservation.</param>
[GenerateSerializer, Immutable, Alias("oms.SimulationRefusal")]
public sealed record SimulationRefusal([property: Id(0)] string? LineId, [property: Id(1)] string Message);

[GenerateSerializer, Immutable, Alias("oms.SimulationResult")]
public sealed record SimulationResult(
    [property: Id(0)] IReadOnlyList<Fulfilment> Fulfilments,
    [property: Id(1)] IReadOnlyList<UnsourcedLine> Unsourced,
    [property: Id(2)] SimulationRefusal? Refusal);

/// <summary>What a checkout of this body would do now, decided as checkout decides it, with nothing allocated or consumed.</summary>
[Alias("oms.ISourcingSimulatorGrain")]
public interface ISourcingSimulatorGrain : IGrainWithIntegerKey
{
    [Alias("Simulate")]
    Task<SimulationResult> Simulate(PlaceOrder request);
}
