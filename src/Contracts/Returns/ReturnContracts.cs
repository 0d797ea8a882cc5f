using Orleans.Concurrency;

namespace Oms.Contracts.Returns;

/// <summary>Why the customer sends units back; the retailer's fault (damaged, wrong item, not as described) refunds the shipping too.</summary>
[GenerateSerializer, Alias("oms.ReturnReason")]
public enum ReturnReason
{
    DoesNotFit = 0,
    NotAsDescribed = 1,
    Damaged = 2,
    WrongItem = 3,
    ChangedMind = 4,
    Other = 5,
}

[GenerateSerializer, Alias("oms.ReturnMethod")]
public enum ReturnMethod
{
    /// <summary>By carrier, to a warehouse or a boutique.</summary>
    ShipBack = 0,
    /// <summary>Brought to a boutique that accepts returns.</summary>
    DropOff = 1,
    /// <summary>A parcel stopped by the carrier on its way and sent back: a cancellation after shipment.</summary>
    Intercept = 2,
}

[GenerateSerializer, Alias("oms.ReturnStatus")]
public enum ReturnStatus
{
    Authorised = 0,
    PartiallyReceived = 1,
    Received = 2,
    /// <summary>Nothing, or not everything, arrived before the authorisation ran out.</summary>
    Expired = 3,
    Cancelled = 4,
}

[GenerateSerializer, Alias("oms.ReturnCondition")]
public enum ReturnCondition
{
    /// <summary>Back on hand and sellable at once where it was received.</summary>
    Resellable = 0,
    /// <summary>Kept on hand, quarantined: not sellable.</summary>
    Damaged = 1,
}

[GenerateSerializer, Alias("oms.RefundStatus")]
public enum RefundStatus { Requested = 0, Succeeded = 1, Failed = 2 }

/// <summary>What a refund is for.</summary>
[GenerateSerializer, Alias("oms.RefundReason")]
public enum RefundReason
{
    /// <summary>Units of a return arrived.</summary>
    Return = 0,
    /// <summary>Units of a captured order were cancelled before they left.</summary>
    Cancellation = 1,
    /// <summary>A click-and-collect parcel was not collected in time.</summary>
    PickupExpired = 2,
    /// <summary>An exchange's replacement cost less than the units returned.</summary>
    ExchangeDifference = 3,
}

[GenerateSerializer, Alias("oms.RefundReportType")]
public enum RefundReportType { Succeeded = 0, Failed = 1 }

[GenerateSerializer, Immutable, Alias("oms.ReturnLineRequest")]
public sealed record ReturnLineRequest([property: Id(0)] string LineId, [property: Id(1)] int Quantity, [property: Id(2)] ReturnReason Reason);

/// <param name="Key">The caller's idempotency key: the same key and body authorise one return, however often sent.</param>
[GenerateSerializer, Immutable, Alias("oms.AuthoriseReturn")]
public sealed record AuthoriseReturn(
    [property: Id(0)] string Key,
    [property: Id(1)] IReadOnlyList<ReturnLineRequest> Lines,
    [property: Id(2)] ReturnMethod Method,
    [property: Id(3)] string LocationId,
    [property: Id(4)] string? Note);

[GenerateSerializer, Immutable, Alias("oms.ReceiveLine")]
public sealed record ReceiveLine([property: Id(0)] string LineId, [property: Id(1)] int Quantity, [property: Id(2)] ReturnCondition Condition);

[GenerateSerializer, Immutable, Alias("oms.ReceiveReturn")]
public sealed record ReceiveReturn([property: Id(0)] string EventId, [property: Id(1)] string LocationId, [property: Id(2)] IReadOnlyList<ReceiveLine> Lines);

[GenerateSerializer, Immutable, Alias("oms.ReturnLineView")]
public sealed record ReturnLineView(
    [property: Id(0)] string LineId,
    [property: Id(1)] string Sku,
    [property: Id(2)] int Quantity,
    [property: Id(3)] ReturnReason Reason,
    [property: Id(4)] decimal UnitPrice,
    [property: Id(5)] int Received,
    [property: Id(6)] int Damaged);

[GenerateSerializer, Immutable, Alias("oms.ReturnReceipt")]
public sealed record ReturnReceipt(
    [property: Id(0)] string EventId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string LocationId,
    [property: Id(3)] IReadOnlyList<ReceiveLine> Lines,
    [property: Id(4)] string Actor,
    [property: Id(5)] string? RefundId);

[GenerateSerializer, Immutable, Alias("oms.RefundEstimate")]
public sealed record RefundEstimate([property: Id(0)] decimal Estimated, [property: Id(1)] string Currency);

/// <param name="FulfilmentId">For an intercept, the parcel stopped on its way.</param>
[GenerateSerializer, Immutable, Alias("oms.ReturnView")]
public sealed record ReturnView(
    [property: Id(0)] string ReturnId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] ReturnStatus Status,
    [property: Id(3)] ReturnMethod Method,
    [property: Id(4)] string LocationId,
    [property: Id(5)] IReadOnlyList<ReturnLineView> Lines,
    [property: Id(6)] DateTimeOffset AuthorisedAt,
    [property: Id(7)] DateTimeOffset ExpiresAt,
    [property: Id(8)] RefundEstimate Refund,
    [property: Id(9)] string? Note,
    [property: Id(10)] IReadOnlyList<ReturnReceipt> Receipts,
    [property: Id(11)] string Actor,
    [property: Id(12)] string? FulfilmentId = null,
    [property: Id(13)] string? ExchangeId = null);

[GenerateSerializer, Immutable, Alias("oms.RefundLineView")]
public sealed record RefundLineView([property: Id(0)] string LineId, [property: Id(1)] int Quantity, [property: Id(2)] decimal UnitPrice);

[GenerateSerializer, Immutable, Alias("oms.RefundView")]
public sealed record RefundView(
    [property: Id(0)] string RefundId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] decimal Amount,
    [property: Id(3)] string Currency,
    [property: Id(4)] RefundReason Reason,
    [property: Id(5)] IReadOnlyList<RefundLineView> Lines,
    [property: Id(6)] RefundStatus Status,
    [property: Id(7)] DateTimeOffset RequestedAt,
    [property: Id(8)] string? ReturnId,
    [property: Id(9)] decimal Shipping,
    [property: Id(10)] decimal RestockingFee,
    [property: Id(11)] string? Reference = null,
    [property: Id(12)] DateTimeOffset? SettledAt = null);

[GenerateSerializer, Immutable, Alias("oms.RefundReport")]
public sealed record RefundReport([property: Id(0)] string EventId, [property: Id(1)] RefundReportType Type, [property: Id(2)] string? Reference);

/// <summary>
/// The after-care side of an order as of <see cref="Version"/>, with what happened since the order last heard;
/// like the fulfilment's summary, a retried or late one changes nothing.
/// </summary>
[GenerateSerializer, Immutable, Alias("oms.AftercareSummary")]
public sealed record AftercareSummary(
    [property: Id(0)] long Version,
    [property: Id(1)] IReadOnlyList<ReturnView> Returns,
    [property: Id(2)] IReadOnlyList<RefundView> Refunds,
    [property: Id(3)] IReadOnlyList<Oms.Contracts.Fulfilments.FulfilmentHappening> Happenings,
    [property: Id(4)] IReadOnlyList<ChargeView>? Charges = null);

/// <summary>Units of one line that reached the customer together (a delivery, a collection).</summary>
[GenerateSerializer, Immutable, Alias("oms.HandedUnits")]
public sealed record HandedUnits([property: Id(0)] string LineId, [property: Id(1)] int Quantity, [property: Id(2)] DateTimeOffset At);

/// <summary>A parcel the customer cancelled after it left: the carrier is asked to bring it back to where it came from.</summary>
/// <param name="Failed">It was delivered before the carrier could stop it.</param>
/// <param name="Returned">The fulfilment knows it came back: its units are cancelled.</param>
/// <param name="Actor">Who cancelled.</param>
[GenerateSerializer, Immutable, Alias("oms.InterceptFact")]
public sealed record InterceptFact(
    [property: Id(0)] string FulfilmentId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] IReadOnlyList<Oms.Contracts.Orders.CancelLine> Lines,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] bool Failed,
    [property: Id(5)] bool Returned,
    [property: Id(6)] string Reason,
    [property: Id(7)] string Actor);

/// <summary>What after-care needs to know of an order's fulfilment: the order, who has what, and what was undone.</summary>
/// <param name="Cancelled">Units per line cancelled before they left.</param>
/// <param name="Expired">Units per line of pickups not collected in time.</param>
[GenerateSerializer, Immutable, Alias("oms.AftercareFacts")]
public sealed record AftercareFacts(
    [property: Id(0)] Oms.Contracts.Orders.PlaceOrder Request,
    [property: Id(1)] IReadOnlyList<HandedUnits> Handed,
    [property: Id(2)] IReadOnlyDictionary<string, int> Cancelled,
    [property: Id(3)] IReadOnlyDictionary<string, int> Expired,
    [property: Id(4)] IReadOnlyList<InterceptFact> Intercepts,
    [property: Id(5)] IReadOnlyList<ExchangeFact>? Exchanges = null);

[GenerateSerializer, Alias("oms.ReturnOutcome")]
public enum ReturnOutcome
{
    Authorised = 0,
    /// <summary>The same key and body again: the return as it stands.</summary>
    Replayed = 1,
    /// <summary>The policy refuses; the result names the field and the rule.</summary>
    Refused = 2,
    KeyConflict = 3,
    NotFound = 4,
    /// <summary>The receiving or return location cannot take it.</summary>
    Invalid = 5,
    Received = 6,
    /// <summary>A store key acting for another location.</summary>
    Forbidden = 7,
    /// <summary>The return is closed, or the receipt asks for more than expected.</summary>
    Impossible = 8,
}

[GenerateSerializer, Immutable, Alias("oms.ReturnResult")]
public sealed record ReturnResult(
    [property: Id(0)] ReturnOutcome Outcome,
    [property: Id(1)] ReturnView? Return,
    [property: Id(2)] string? Field = null,
    [property: Id(3)] string? Rule = null,
    [property: Id(4)] string? Message = null);

[GenerateSerializer, Alias("oms.RefundReportOutcome")]
public enum RefundReportOutcome { Applied = 0, Replayed = 1, NotFound = 2, KeyConflict = 3, AlreadySettled = 4 }

[GenerateSerializer, Immutable, Alias("oms.RefundReportResult")]
public sealed record RefundReportResult([property: Id(0)] RefundReportOutcome Outcome, [property: Id(1)] RefundView? Refund, [property: Id(2)] string? Message = null);

/// <summary>
/// After-care of one order, keyed by order id: its returns, their receipts and its refunds. Returns and refunds
/// are named <c>{orderId}~R{n}</c> and <c>{orderId}~F{n}</c> ('~' is outside the id alphabet), so an id leads here.
/// </summary>
[Alias("oms.IReturnsGrain")]
public interface IReturnsGrain : IGrainWithStringKey
{
    [Alias("Authorise")]
    Task<ReturnResult> Authorise(AuthoriseReturn request);

    /// <param name="locations">The locations the caller acts for; null for every location.</param>
    [Alias("Receive")]
    Task<ReturnResult> Receive(string returnId, ReceiveReturn receipt, IReadOnlyList<string>? locations);

    [ReadOnly, Alias("Get")]
    Task<ReturnView?> Get(string returnId);

    [Alias("ReportRefund")]
    Task<RefundReportResult> ReportRefund(string refundId, RefundReport report);

    /// <summary>The fulfilment's news that may call for money back or an intercept's return: idempotent, as it is state, not a delta.</summary>
    [Alias("Settle")]
    Task Settle(AftercareFacts facts);

    /// <summary>
    /// Holds the exchange's return against the policy, unseen until the fulfilment's facts show the replacement
    /// committed (then it is announced) or the fulfilment withdraws it; idempotent per key.
    /// </summary>
    [Alias("AuthoriseExchange")]
    Task<ReturnResult> AuthoriseExchange(ExchangeReturn request, AftercareFacts facts);

    /// <summary>The replacement could not be committed: the held return goes as if never asked for.</summary>
    [Alias("WithdrawExchange")]
    Task WithdrawExchange(string exchangeId);
}

[GenerateSerializer, Alias("oms.ExchangeMode")]
public enum ExchangeMode
{
    /// <summary>The replacement leaves now; if the return does not arrive in time, the customer is charged.</summary>
    Advance = 0,
    /// <summary>The replacement is allocated and held until the return arrives.</summary>
    AfterReturn = 1,
}

[GenerateSerializer, Alias("oms.ExchangeStatus")]
public enum ExchangeStatus
{
    Created = 0,
    /// <summary>A held replacement was released to its location, the return having arrived.</summary>
    Released = 1,
    /// <summary>A held replacement was cancelled, the return not having arrived.</summary>
    Dropped = 2,
}

[GenerateSerializer, Immutable, Alias("oms.ExchangeLineRequest")]
public sealed record ExchangeLineRequest(
    [property: Id(0)] string LineId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] string NewSku,
    [property: Id(3)] decimal UnitPrice,
    [property: Id(4)] ReturnReason Reason);

[GenerateSerializer, Immutable, Alias("oms.CreateExchange")]
public sealed record CreateExchange(
    [property: Id(0)] string Key,
    [property: Id(1)] IReadOnlyList<ExchangeLineRequest> Lines,
    [property: Id(2)] ExchangeMode Mode,
    [property: Id(3)] ReturnMethod Method,
    [property: Id(4)] string LocationId);

[GenerateSerializer, Immutable, Alias("oms.ExchangeLineView")]
public sealed record ExchangeLineView(
    [property: Id(0)] string LineId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] string NewLineId,
    [property: Id(3)] string NewSku,
    [property: Id(4)] decimal UnitPrice,
    [property: Id(5)] ReturnReason Reason);

/// <param name="Difference">What the replacement costs more (positive: charged) or less (negative: refunded once the return arrives).</param>
[GenerateSerializer, Immutable, Alias("oms.ExchangeView")]
public sealed record ExchangeView(
    [property: Id(0)] string ExchangeId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] ExchangeMode Mode,
    [property: Id(3)] ExchangeStatus Status,
    [property: Id(4)] IReadOnlyList<ExchangeLineView> Lines,
    [property: Id(5)] IReadOnlyList<string> FulfilmentIds,
    [property: Id(6)] decimal Difference,
    [property: Id(7)] DateTimeOffset CreatedAt,
    [property: Id(8)] string? ReturnId);

[GenerateSerializer, Immutable, Alias("oms.ExchangeFact")]
public sealed record ExchangeFact([property: Id(0)] string ExchangeId, [property: Id(1)] ExchangeMode Mode, [property: Id(2)] ExchangeStatus Status);

/// <summary>What the fulfilment asks after-care to hold for an exchange: the old units' return, and what replaces them.</summary>
[GenerateSerializer, Immutable, Alias("oms.ExchangeReturn")]
public sealed record ExchangeReturn(
    [property: Id(0)] string Key,
    [property: Id(1)] string ExchangeId,
    [property: Id(2)] ExchangeMode Mode,
    [property: Id(3)] IReadOnlyList<ReturnLineRequest> Lines,
    [property: Id(4)] ReturnMethod Method,
    [property: Id(5)] string LocationId,
    [property: Id(6)] IReadOnlyList<Oms.Contracts.Orders.OrderLine> Replacement);

/// <summary>What after-care asks the fulfilment to do; it repeats until the fulfilment's facts show it done.</summary>
[GenerateSerializer, Immutable, Alias("oms.AftercareInstructions")]
public sealed record AftercareInstructions(
    [property: Id(0)] IReadOnlyList<string> InterceptsReturned,
    [property: Id(1)] IReadOnlyList<string> ExchangesReleased,
    [property: Id(2)] IReadOnlyList<string> ExchangesDropped);

[GenerateSerializer, Alias("oms.ExchangeOutcome")]
public enum ExchangeOutcome { Created = 0, Replayed = 1, Refused = 2, NoStock = 3, KeyConflict = 4, NotFound = 5, Invalid = 6 }

[GenerateSerializer, Immutable, Alias("oms.ExchangeResult")]
public sealed record ExchangeResult(
    [property: Id(0)] ExchangeOutcome Outcome,
    [property: Id(1)] ExchangeView? Exchange,
    [property: Id(2)] string? Field = null,
    [property: Id(3)] string? Rule = null,
    [property: Id(4)] string? Message = null);

/// <summary>Money the OMS asks accounting to take: an exchange's balance, or an advance replacement whose return never came.</summary>
[GenerateSerializer, Immutable, Alias("oms.ChargeView")]
public sealed record ChargeView(
    [property: Id(0)] string ChargeId,
    [property: Id(1)] decimal Amount,
    [property: Id(2)] string Currency,
    [property: Id(3)] string Reason,
    [property: Id(4)] string ExchangeId,
    [property: Id(5)] DateTimeOffset RequestedAt);

/// <summary>One open return in a location's receiving queue.</summary>
[GenerateSerializer, Immutable, Alias("oms.ReturnTask")]
public sealed record ReturnTask(
    [property: Id(0)] string ReturnId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] ReturnStatus Status,
    [property: Id(3)] ReturnMethod Method,
    [property: Id(4)] IReadOnlyList<ReturnLineView> Lines,
    [property: Id(5)] DateTimeOffset AuthorisedAt,
    [property: Id(6)] DateTimeOffset ExpiresAt,
    [property: Id(7)] string? CustomerName);

[GenerateSerializer, Immutable, Alias("oms.ReturnTaskPage")]
public sealed record ReturnTaskPage([property: Id(0)] IReadOnlyList<ReturnTask> Items, [property: Id(1)] string? Next);

/// <summary>A location's returns still expected, keyed by location id, kept by the orders' returns grains.</summary>
[Alias("oms.IReturnQueueGrain")]
public interface IReturnQueueGrain : IGrainWithStringKey
{
    [Alias("Put")]
    Task Put(string orderId, long version, IReadOnlyList<ReturnTask> tasks);

    [ReadOnly, Alias("List")]
    Task<ReturnTaskPage> List(ReturnStatus? status, int limit, string? cursor);
}
