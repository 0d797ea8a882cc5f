using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using System.Text.Json.Serialization;
using Orleans.Concurrency;

namespace Oms.Contracts.Orders;

[GenerateSerializer, Alias("oms.OrderChannel")]
public enum OrderChannel { Web = 0, App = 1, Care = 2, Store = 3, Kiosk = 4 }

[GenerateSerializer, Alias("oms.OrderStatus")]
public enum OrderStatus
{
    /// <summary>Sourced and being allocated; seen only while a checkout is in flight or being recovered.</summary>
    Pending = 0,
    Allocated = 1,
    PartiallyCancelled = 2,
    Cancelled = 3,
    /// <summary>Refused at checkout (no stock, or interrupted and rolled back); it holds nothing.</summary>
    Failed = 4,
    /// <summary>A location accepted, packed or prepared some units; none has left yet.</summary>
    InFulfilment = 5,
    PartiallyShipped = 6,
    /// <summary>Every unit not cancelled is on its way to the customer, or delivered.</summary>
    Shipped = 7,
    /// <summary>Every unit not cancelled is delivered, and some were cancelled (otherwise the order is completed).</summary>
    Delivered = 8,
    ReadyForPickup = 9,
    Collected = 10,
    /// <summary>Every unit ordered was delivered or collected.</summary>
    Completed = 11,
}

[GenerateSerializer, Alias("oms.LineStatus")]
public enum LineStatus { Allocated = 0, Cancelled = 1 }

[GenerateSerializer, Immutable, Alias("oms.Customer")]
public sealed record Customer([property: Id(0)] string CustomerId, [property: Id(1)] string? Email, [property: Id(2)] string? Name);

/// <summary>A hold placed directly on a stock item (a flash-sale hold) that covers one order line.</summary>
[GenerateSerializer, Immutable, Alias("oms.LineHold")]
public sealed record LineHold([property: Id(0)] string LocationId, [property: Id(1)] string HoldId);

/// <param name="Hold">When set, the line is allocated from that hold at its location, not sourced.</param>
/// <param name="FinalSale">Sold on the terms that its units cannot be returned. Left out of stored JSON when false,
/// so an order's fingerprint from before the field existed still matches its retries.</param>
[GenerateSerializer, Immutable, Alias("oms.OrderLine")]
public sealed record OrderLine(
    [property: Id(0)] string LineId,
    [property: Id(1)] string Sku,
    [property: Id(2)] int Quantity,
    [property: Id(3)] decimal UnitPrice,
    [property: Id(4)] string Currency,
    [property: Id(5)] LineHold? Hold = null,
    [property: Id(6), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool FinalSale = false);

[GenerateSerializer, Immutable, Alias("oms.DeliveryAddress")]
public sealed record DeliveryAddress(
    [property: Id(0)] string Line1,
    [property: Id(1)] string City,
    [property: Id(2)] string? PostalCode,
    [property: Id(3)] string CountryCode,
    [property: Id(4)] double? Latitude,
    [property: Id(5)] double? Longitude);

/// <param name="CarrierId">The carrier service the customer chose for a shipment; left out of stored JSON when not
/// chosen, so fingerprints from before the fields still match. Without one, each shipment takes its source's fastest.</param>
[GenerateSerializer, Immutable, Alias("oms.Delivery")]
public sealed record Delivery(
    [property: Id(0)] DeliveryMethod Method,
    [property: Id(1)] DeliveryAddress? Address,
    [property: Id(2)] string? PickupLocationId,
    [property: Id(3), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CarrierId = null,
    [property: Id(4), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ServiceId = null);

/// <param name="ShippingAmount">What the customer paid for delivery, in the lines' currency.</param>
/// <param name="PaymentCaptured">The payment was taken at checkout (not only authorised): a cancellation then
/// calls for a refund, where otherwise accounting just voids the authorisation. Both new fields are left out of
/// stored JSON at their defaults, so fingerprints from before them still match.</param>
[GenerateSerializer, Immutable, Alias("oms.PlaceOrder")]
public sealed record PlaceOrder(
    [property: Id(0)] OrderChannel Channel,
    [property: Id(1)] Customer Customer,
    [property: Id(2)] IReadOnlyList<OrderLine> Lines,
    [property: Id(3)] Delivery Delivery,
    [property: Id(4)] string? ReservationId,
    [property: Id(5)] string? StoreLocationId = null,
    [property: Id(6), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] decimal ShippingAmount = 0m,
    [property: Id(7), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool PaymentCaptured = false)
{
    /// <summary>What the customer pays: every line at its price, and the delivery.</summary>
    [JsonIgnore]
    public decimal Total => Lines.Sum(l => l.UnitPrice * l.Quantity) + ShippingAmount;
}

[GenerateSerializer, Immutable, Alias("oms.LineAllocation")]
public sealed record LineAllocation([property: Id(0)] string LocationId, [property: Id(1)] int Quantity);

[GenerateSerializer, Immutable, Alias("oms.OrderLineView")]
public sealed record OrderLineView(
    [property: Id(0)] string LineId,
    [property: Id(1)] string Sku,
    [property: Id(2)] int Quantity,
    [property: Id(3)] decimal UnitPrice,
    [property: Id(4)] string Currency,
    [property: Id(5)] LineStatus Status,
    [property: Id(6)] int AllocatedQuantity,
    [property: Id(7)] int CancelledQuantity,
    [property: Id(8)] IReadOnlyList<LineAllocation> Allocations,
    [property: Id(9)] int ShippedQuantity = 0,
    [property: Id(10)] int DeliveredQuantity = 0,
    [property: Id(11)] int CollectedQuantity = 0,
    [property: Id(12)] int UnfulfillableQuantity = 0);

[GenerateSerializer, Immutable, Alias("oms.TimelineEvent")]
public sealed record TimelineEvent(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Type,
    [property: Id(2)] string Actor,
    [property: Id(3)] string Details,
    [property: Id(4)] string? ActorName = null,
    [property: Id(5)] string? Author = null);

[GenerateSerializer, Immutable, Alias("oms.OrderView")]
public sealed record OrderView(
    [property: Id(0)] string OrderId,
    [property: Id(1)] OrderStatus Status,
    [property: Id(2)] OrderChannel Channel,
    [property: Id(3)] Customer Customer,
    [property: Id(4)] Delivery Delivery,
    [property: Id(5)] IReadOnlyList<OrderLineView> Lines,
    [property: Id(6)] IReadOnlyList<Fulfilment> Plan,
    [property: Id(7)] IReadOnlyList<TimelineEvent> Timeline,
    [property: Id(8)] DateTimeOffset CreatedAt,
    [property: Id(9)] string? ReservationId,
    [property: Id(10)] string? StoreLocationId,
    [property: Id(11)] IReadOnlyList<Oms.Contracts.Fulfilments.FulfilmentView> Fulfilments,
    [property: Id(12)] string? NeedsAttention,
    [property: Id(13)] IReadOnlyList<Oms.Contracts.Returns.ReturnView>? Returns = null,
    [property: Id(14)] IReadOnlyList<Oms.Contracts.Returns.RefundView>? Refunds = null,
    [property: Id(15)] IReadOnlyList<Oms.Contracts.Returns.ExchangeView>? Exchanges = null,
    [property: Id(16)] IReadOnlyList<Oms.Contracts.Returns.ChargeView>? Charges = null);

[GenerateSerializer, Alias("oms.PlaceOrderOutcome")]
public enum PlaceOrderOutcome
{
    Created = 0,
    /// <summary>The same request again: the order as it stands.</summary>
    Replayed = 1,
    /// <summary>Stock could not be found for some line; nothing is allocated.</summary>
    Short = 2,
    /// <summary>The idempotency key or order id was used for a different request.</summary>
    KeyConflict = 3,
    /// <summary>The named reservation is unknown, expired, released, or already used by another order.</summary>
    ReservationUnusable = 4,
    /// <summary>Another checkout kept winning the race for the same units; nothing is allocated, retry.</summary>
    Contended = 5,
}

[GenerateSerializer, Immutable, Alias("oms.PlaceOrderResult")]
public sealed record PlaceOrderResult(
    [property: Id(0)] PlaceOrderOutcome Outcome,
    [property: Id(1)] OrderView? Order,
    [property: Id(2)] IReadOnlyList<UnsourcedLine> Unsourced,
    [property: Id(3)] string? Message);

[GenerateSerializer, Immutable, Alias("oms.CancelLine")]
public sealed record CancelLine([property: Id(0)] string LineId, [property: Id(1)] int Quantity);

[GenerateSerializer, Immutable, Alias("oms.CancelOrder")]
public sealed record CancelOrder(
    [property: Id(0)] string CancellationId,
    [property: Id(1)] string Reason,
    [property: Id(2)] IReadOnlyList<CancelLine>? Lines,
    [property: Id(3)] string Actor);

[GenerateSerializer, Alias("oms.CancelOutcome")]
public enum CancelOutcome { Cancelled = 0, Replayed = 1, NotFound = 2, NotCancellable = 3, Invalid = 4, KeyConflict = 5 }

[GenerateSerializer, Immutable, Alias("oms.CancelResult")]
public sealed record CancelResult(
    [property: Id(0)] CancelOutcome Outcome,
    [property: Id(1)] OrderView? Order,
    [property: Id(2)] string? Message,
    [property: Id(3)] string? Field);

/// <summary>One order, keyed by order id: its lines, plan, allocations and timeline.</summary>
[Alias("oms.IOrderGrain")]
public interface IOrderGrain : IGrainWithStringKey
{
    /// <summary>Keyed by order id and fingerprinted: the same request replays, so a call whose silo left is sent again.</summary>
    [Alias("Place"), Oms.Contracts.Faults.Idempotent]
    Task<PlaceOrderResult> Place(PlaceOrder request);

    [Alias("Get"), Oms.Contracts.Faults.Idempotent]
    Task<OrderView?> Get();

    [Alias("AddNote")]
    Task<OrderView?> AddNote(string text, string? author);

    /// <summary>What the order's fulfilment starts from; null until the order is allocated.</summary>
    /// <remarks>Interleaved and read-only: the fulfilment grain asks while the order may be waiting on it.</remarks>
    [AlwaysInterleave, ReadOnly, Alias("Placement")]
    Task<Oms.Contracts.Fulfilments.FulfilmentHandOff?> Placement();

    /// <summary>The fulfilment grain's news: recorded once per version, with the events it calls for.</summary>
    [Alias("Track"), Oms.Contracts.Faults.Idempotent]
    Task<OrderView?> Track(Oms.Contracts.Fulfilments.FulfilmentSummary summary);

    /// <summary>The returns grain's news: its returns and refunds, recorded once per version, with their events.</summary>
    [Alias("Aftercare"), Oms.Contracts.Faults.Idempotent]
    Task Aftercare(Oms.Contracts.Returns.AftercareSummary summary);
}

/// <param name="Channel">Null for orders listed before channels were recorded: shown only to roles that see every channel.</param>
[GenerateSerializer, Immutable, Alias("oms.CustomerOrder")]
public sealed record CustomerOrder([property: Id(0)] string OrderId, [property: Id(1)] DateTimeOffset CreatedAt, [property: Id(2)] OrderChannel? Channel = null);

/// <summary>A customer's orders, kept by the order grains, so care can list them without a scan.</summary>
/// <remarks>An order is added once by its id, so a call whose silo left is sent again (<see cref="Faults.IdempotentAttribute"/>).</remarks>
[Alias("oms.ICustomerGrain"), Oms.Contracts.Faults.Idempotent]
public interface ICustomerGrain : IGrainWithStringKey
{
    [Alias("AddOrder")]
    Task AddOrder(string orderId, DateTimeOffset createdAt, OrderChannel channel);

    [Alias("ListOrders")]
    Task<IReadOnlyList<CustomerOrder>> ListOrders(int limit);
}

[Alias("oms.ISourcingProfileGrain")]
public interface ISourcingProfileGrain : IGrainWithStringKey
{
    /// <summary>The stored profile, or the default one under this id.</summary>
    [Alias("Get"), Oms.Contracts.Faults.Idempotent]
    Task<SourcingProfile> Get();

    [Alias("Put")]
    Task<bool> Put(SourcingProfile profile);
}

[GenerateSerializer, Immutable, Alias("oms.SourcingInputs")]
public sealed record SourcingInputs(
    [property: Id(0)] IReadOnlyList<LocationInfo> Locations,
    [property: Id(1)] IReadOnlyList<SkuAvailability> Views,
    [property: Id(2)] IReadOnlyList<Oms.Contracts.Promise.CarrierInfo>? Carriers = null);
