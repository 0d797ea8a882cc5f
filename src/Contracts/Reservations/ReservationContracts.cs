using System.Text.Json.Serialization;

namespace Oms.Contracts.Reservations;

[GenerateSerializer, Immutable, Alias("oms.ReservationLine")]
public sealed record ReservationLine(
    [property: Id(0)] string Sku,
    [property: Id(1)] string LocationId,
    [property: Id(2)] int Quantity);

[GenerateSerializer, Immutable, Alias("oms.ReservationRequest")]
public sealed record ReservationRequest(
    [property: Id(0)] IReadOnlyList<ReservationLine> Lines,
    [property: Id(1)] int TtlSeconds,
    [property: Id(2)] string? CustomerId = null,
    [property: Id(3)] string? Owner = null);

[GenerateSerializer, Alias("oms.ReservationStatus")]
public enum ReservationStatus
{
    /// <summary>Holds are being placed; only visible while a create is in flight or being recovered.</summary>
    Pending = 0,
    Held = 1,
    Released = 2,
    Expired = 3,
    /// <summary>Stock was short or a line failed; every line that was held has been released.</summary>
    Failed = 4,
    /// <summary>An order took over the holds as its allocations.</summary>
    Consumed = 5,
}

[GenerateSerializer, Immutable, Alias("oms.ReservationView")]
public sealed record ReservationView(
    [property: Id(0)] string ReservationId,
    [property: Id(1)] ReservationStatus Status,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] DateTimeOffset ExpiresAt,
    [property: Id(4)] IReadOnlyList<ReservationLine> Lines,
    [property: Id(5), JsonIgnore] string? HoldKey = null,
    [property: Id(6)] string? CustomerId = null,
    [property: Id(7)] string? Owner = null);

[GenerateSerializer, Immutable, Alias("oms.ShortLine")]
public sealed record ShortLine(
    [property: Id(0)] int LineIndex,
    [property: Id(1)] string Sku,
    [property: Id(2)] string LocationId,
    [property: Id(3)] int Requested,
    [property: Id(4)] int Available,
    [property: Id(5)] string Reason);

[GenerateSerializer, Alias("oms.ReservationOutcome")]
public enum ReservationOutcome
{
    Created = 0,
    /// <summary>A replay of the same request; the existing reservation is returned unchanged.</summary>
    Replayed = 1,
    /// <summary>Some line could not be held; nothing is held.</summary>
    Short = 2,
    /// <summary>The id is taken by a different request.</summary>
    Conflict = 3,
}

[GenerateSerializer, Immutable, Alias("oms.ReservationResult")]
public sealed record ReservationResult(
    [property: Id(0)] ReservationOutcome Outcome,
    [property: Id(1)] ReservationView? Reservation,
    [property: Id(2)] IReadOnlyList<ShortLine> ShortLines);

/// <summary>A checkout hold over one or more lines, keyed by reservation id; all lines are held or none.</summary>
/// <remarks>Every call decides once per reservation id (a create replays, a consume names its order, a release is
/// idempotent), so a call whose silo left is sent again (<see cref="Faults.IdempotentAttribute"/>).</remarks>
[Alias("oms.IReservationGrain"), Oms.Contracts.Faults.Idempotent]
public interface IReservationGrain : IGrainWithStringKey
{
    [Alias("Create")]
    Task<ReservationResult> Create(ReservationRequest request);

    [Alias("Get")]
    Task<ReservationView?> Get();

    /// <summary>
    /// Hands the held lines to an order, once: returns them while the reservation is held and unexpired (or already
    /// consumed by this same order), and for the order's customer when the reservation names one; null otherwise.
    /// </summary>
    [Alias("Consume")]
    Task<ReservationView?> Consume(string orderId, string customerId);

    /// <summary>Idempotent; returns null when the reservation never existed.</summary>
    [Alias("Release")]
    Task<ReservationView?> Release();

    /// <summary>
    /// The sweep's call when a reservation's deadline row falls due: rolls back a placement left half-done, expires
    /// a reservation still held past its expiry, and moves the row to the expiry of one still held before it.
    /// </summary>
    /// <returns>Whether it has nothing left to announce, so the sweep may forget its deadline.</returns>
    [Alias("Lapse")]
    Task<bool> Lapse();
}
