using System.Globalization;
using System.Text.Json;
using Oms.Contracts.Events;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Contracts.Returns;
using Oms.Contracts.Stock;
using Oms.Grains.Events;
using Oms.Grains.Fulfilments;

namespace Oms.Grains.Returns;

public sealed class LiveReturnLine
{
    public string LineId { get; set; } = "";
    public string Sku { get; set; } = "";
    public int Quantity { get; set; }
    public ReturnReason Reason { get; set; }
    public decimal UnitPrice { get; set; }
    public int Received { get; set; }
    public int Damaged { get; set; }
}

public sealed class LiveReturn
{
    public string Id { get; set; } = "";
    public ReturnStatus Status { get; set; }
    public ReturnMethod Method { get; set; }
    public string LocationId { get; set; } = "";
    public List<LiveReturnLine> Lines { get; set; } = [];
    public DateTimeOffset AuthorisedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public decimal Estimated { get; set; }
    public string? Note { get; set; }
    public List<ReturnReceipt> Receipts { get; set; } = [];
    public string Actor { get; set; } = "";

    /// <summary>The caller's idempotency key and the request it was first used with.</summary>
    public string? Key { get; set; }
    public string? Fingerprint { get; set; }

    /// <summary>For an intercept, the parcel the carrier was asked to bring back.</summary>
    public string? FulfilmentId { get; set; }

    /// <summary>For an exchange, the exchange whose replacement these units pay for.</summary>
    public string? ExchangeId { get; set; }

    /// <summary>An exchange's return held against the policy, not yet shown: its replacement is still being placed.</summary>
    public bool Pending { get; set; }

    public bool IsOpen => ReturnLifecycle.IsOpen(Status);

    public int Units(string lineId) => Lines.Where(l => l.LineId == lineId).Sum(l => l.Quantity);

    /// <remarks>Copies of the lists: the order grain keeps an immutable view as it is, and serializes it while this one changes.</remarks>
    public ReturnView View(string orderId, string currency) => new(
        Id, orderId, Status, Method, LocationId,
        [.. Lines.Select(l => new ReturnLineView(l.LineId, l.Sku, l.Quantity, l.Reason, l.UnitPrice, l.Received, l.Damaged))],
        AuthorisedAt, ExpiresAt, new RefundEstimate(Estimated, currency), Note, [.. Receipts], Actor, FulfilmentId, ExchangeId);
}

public sealed class LiveExchange
{
    public string Id { get; set; } = "";
    public ExchangeMode Mode { get; set; }
    public string ReturnId { get; set; } = "";

    /// <summary>What the replacement costs more (positive) or less (negative) than the units it replaces.</summary>
    public decimal Difference { get; set; }

    public List<string> ReplacementLineIds { get; set; } = [];

    /// <summary>The fulfilment committed the replacement: the return is shown and the balance charged.</summary>
    public bool Confirmed { get; set; }
}

public sealed class LiveCharge
{
    public string Id { get; set; } = "";
    public decimal Amount { get; set; }
    public string Reason { get; set; } = "";
    public string ExchangeId { get; set; } = "";
    public DateTimeOffset RequestedAt { get; set; }

    public ChargeView View(string currency) => new(Id, Amount, currency, Reason, ExchangeId, RequestedAt);
}

public sealed class LiveRefund
{
    public string Id { get; set; } = "";
    public decimal Amount { get; set; }
    public RefundReason Reason { get; set; }
    public List<RefundLineView> Lines { get; set; } = [];
    public RefundStatus Status { get; set; }
    public DateTimeOffset RequestedAt { get; set; }
    public string? ReturnId { get; set; }
    public decimal Shipping { get; set; }
    public decimal RestockingFee { get; set; }
    public string? Reference { get; set; }
    public DateTimeOffset? SettledAt { get; set; }

    /// <summary>Accounting's event ids with their fingerprint, so a retried answer replays.</summary>
    public Dictionary<string, string> Events { get; set; } = new(StringComparer.Ordinal);

    public RefundView View(string orderId, string currency) => new(
        Id, orderId, Amount, currency, Reason, [.. Lines], Status, RequestedAt, ReturnId, Shipping, RestockingFee, Reference, SettledAt);
}

/// <summary>What a change to the book asks its grain to do: stock movements first, then news.</summary>
public sealed record ReturnChange(ReturnOutcome Outcome, LiveReturn? Return, IReadOnlyList<StockStep> Steps, string? Field = null, string? Rule = null, string? Message = null)
{
    public static ReturnChange Refused(ReturnOutcome outcome, string field, string message, string? rule = null, LiveReturn? target = null) =>
        new(outcome, target, [], field, rule, message);
}

/// <summary>
/// After-care of one order: its returns, what arrived of them, and every refund, with the rules that tie them
/// together: the policy decides what may come back, a receipt puts units back in stock and asks for their money,
/// a cancellation or an expired pickup of a captured order asks for its money, and the sum asked for never
/// exceeds what was paid. Pure: the grain moves stock, tells the order and the queues.
/// </summary>
public sealed class ReturnBook
{
    /// <summary>Returns per order: a customer sends a parcel back a few times at most; a loop must not grow this.</summary>
    public const int MaxReturns = 100;

    /// <summary>Receipts per return, and accounting's answers per refund.</summary>
    public const int MaxReceipts = 100;

    public string OrderId { get; set; } = "";

    /// <summary>The order as the fulfilment last described it: its lines and prices, who has what, what was undone.</summary>
    public AftercareFacts? Facts { get; set; }

    public List<LiveReturn> Returns { get; set; } = [];
    public List<LiveRefund> Refunds { get; set; } = [];

    /// <summary>Units per line whose cancellation, or expired pickup, has been refunded.</summary>
    public Dictionary<string, int> CancelledRefunded { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, int> ExpiredRefunded { get; set; } = new(StringComparer.Ordinal);

    public bool ShippingRefunded { get; set; }

    public long Version { get; set; }
    public long ToldOrder { get; set; }
    public long ToldQueues { get; set; }
    public List<FulfilmentHappening> Untold { get; set; } = [];

    /// <summary>Locations whose receiving queue lists a return of this order.</summary>
    public List<string> Queued { get; set; } = [];

    /// <summary>Stock work recorded and perhaps not yet confirmed; replayed on activation.</summary>
    public List<StockStep>? Pending { get; set; }

    /// <summary>Intercepted parcels received back that the fulfilment has not yet confirmed it knows of.</summary>
    public List<string> InterceptsBack { get; set; } = [];

    /// <summary>Exchanges whose held replacement the fulfilment is to release (the return arrived) or drop (it never will).</summary>
    public List<string> ToRelease { get; set; } = [];
    public List<string> ToDrop { get; set; } = [];

    public List<LiveExchange> Exchanges { get; set; } = [];
    public List<LiveCharge> Charges { get; set; } = [];

    /// <summary>Returns ever numbered: a withdrawn exchange's return leaves the list, never its number.</summary>
    public int Created { get; set; }

    public bool Exists => Facts is not null;

    private PlaceOrder Request => Facts!.Request;

    public string Currency => Request.Lines[0].Currency;

    public static string ReturnId(string orderId, int n) => string.Create(CultureInfo.InvariantCulture, $"{orderId}~R{n}");

    public static string RefundId(string orderId, int n) => string.Create(CultureInfo.InvariantCulture, $"{orderId}~F{n}");

    /// <summary>The order a return or refund id belongs to; null when the id is not one this book gave out.</summary>
    public static string? OrderOf(string? id, char kind)
    {
        var at = id?.LastIndexOf('~') ?? -1;
        if (at < 1 || at + 2 >= id!.Length || id[at + 1] != kind || id.Length - at - 2 > 6 || !id[(at + 2)..].All(char.IsAsciiDigit) || id[at + 2] == '0')
        {
            return null;
        }

        var orderId = id[..at];
        return Oms.Contracts.Ids.IsValid(orderId) ? orderId : null;
    }

    public LiveReturn? Find(string returnId) => Returns.FirstOrDefault(r => r.Id == returnId);

    public LiveRefund? FindRefund(string refundId) => Refunds.FirstOrDefault(r => r.Id == refundId);

    public AftercareSummary Summary() => new(
        Version, [.. Shown().Select(r => r.View(OrderId, Currency))], [.. Refunds.Select(r => r.View(OrderId, Currency))], [.. Untold],
        Charges.Count == 0 ? null : [.. Charges.Select(c => c.View(Currency))]);

    /// <summary>Every return but those held for an exchange still being placed.</summary>
    public IEnumerable<LiveReturn> Shown() => Returns.Where(r => !r.Pending);

    /// <summary>What after-care is waiting for the fulfilment to do.</summary>
    public AftercareInstructions? Instructions() =>
        InterceptsBack.Count + ToRelease.Count + ToDrop.Count == 0 ? null : new([.. InterceptsBack], [.. ToRelease], [.. ToDrop]);

    public void Acknowledge(long version)
    {
        ToldOrder = Math.Max(ToldOrder, version);
        Untold.RemoveAll(h => h.Version <= version);
    }

    // ---- Authorisation ---------------------------------------------------------------------------------------

    public ReturnChange Authorise(AuthoriseReturn request, AftercareFacts facts, DateTimeOffset now, Doer doer, ReturnOptions options)
    {
        var fingerprint = JsonSerializer.Serialize(request, EventJson.Options);
        if (Admit(request.Key, fingerprint, request.Lines, facts, now, options) is { } refused)
        {
            return refused;
        }

        Version++;
        var r = NewReturn(request.Key, fingerprint, request.Method, request.LocationId, request.Lines, request.Note, now, doer, options);
        r.Estimated = Refund([.. r.Lines.Select(l => new RefundLine(l.LineId, l.Quantity, l.UnitPrice, l.Reason))], options).Amount;
        Announce(now, doer, r);
        return new ReturnChange(ReturnOutcome.Authorised, r, []);
    }

    /// <summary>
    /// Holds an exchange's return: the old units are counted as on their way back, so no other return can take them,
    /// but nothing is shown until the fulfilment's facts say the replacement is committed.
    /// </summary>
    public ReturnChange AuthoriseExchange(ExchangeReturn request, AftercareFacts facts, DateTimeOffset now, Doer doer, ReturnOptions options)
    {
        var fingerprint = JsonSerializer.Serialize(request, EventJson.Options);
        if (Admit(request.Key, fingerprint, request.Lines, facts, now, options) is { } refused)
        {
            return refused;
        }

        var r = NewReturn(request.Key, fingerprint, request.Method, request.LocationId, request.Lines,
            $"exchange {request.ExchangeId}", now, doer, options);
        var difference = request.Replacement.Sum(l => l.UnitPrice * l.Quantity) - r.Lines.Sum(l => l.UnitPrice * l.Quantity);
        r.ExchangeId = request.ExchangeId;
        r.Pending = true;
        r.Estimated = Math.Max(0m, -difference);
        Exchanges.Add(new LiveExchange
        {
            Id = request.ExchangeId, Mode = request.Mode, ReturnId = r.Id, Difference = difference,
            ReplacementLineIds = [.. request.Replacement.Select(l => l.LineId)],
        });
        return new ReturnChange(ReturnOutcome.Authorised, r, []);
    }

    /// <summary>The fulfilment could not place the replacement: its held return goes as if never asked for.</summary>
    public bool WithdrawExchange(string exchangeId)
    {
        if (Exchanges.FirstOrDefault(x => x.Id == exchangeId) is not { Confirmed: false } exchange)
        {
            return false;
        }

        Exchanges.Remove(exchange);
        Returns.RemoveAll(r => r.Id == exchange.ReturnId && r.Pending);
        return true;
    }

    /// <returns>The answer when the request is a replay, a reused key or refused by the policy; null to go ahead.</returns>
    private ReturnChange? Admit(string key, string fingerprint, IReadOnlyList<ReturnLineRequest> lines, AftercareFacts facts, DateTimeOffset now, ReturnOptions options)
    {
        Facts = facts;
        if (Returns.FirstOrDefault(r => r.Key == key) is { } known)
        {
            return known.Fingerprint == fingerprint
                ? new ReturnChange(ReturnOutcome.Replayed, known, [])
                : ReturnChange.Refused(ReturnOutcome.KeyConflict, "Idempotency-Key", "This idempotency key was already used for a different request.");
        }

        if (Returns.Count >= MaxReturns)
        {
            return ReturnChange.Refused(ReturnOutcome.Refused, "orderId", $"this order has had {MaxReturns} returns; no more can be authorised.", "tooManyReturns");
        }

        var asked = lines.Select(l => new ReturnRequestLine(l.LineId, l.Quantity, l.Reason)).ToList();
        return ReturnPolicy.Check(asked, Returnable(), now, options) is { } refusal
            ? ReturnChange.Refused(ReturnOutcome.Refused, refusal.Field, refusal.Message, refusal.Rule)
            : null;
    }

    private LiveReturn NewReturn(string key, string fingerprint, ReturnMethod method, string locationId, IReadOnlyList<ReturnLineRequest> lines, string? note,
        DateTimeOffset now, Doer doer, ReturnOptions options)
    {
        var r = new LiveReturn
        {
            Id = ReturnId(OrderId, ++Created),
            Status = ReturnStatus.Authorised,
            Method = method,
            LocationId = locationId,
            Lines = [.. lines.Select(l => NewLine(l.LineId, l.Quantity, l.Reason))],
            AuthorisedAt = now,
            ExpiresAt = ReturnPolicy.ExpiresAt(now, options),
            Note = note,
            Actor = doer.Actor,
            Key = key,
            Fingerprint = fingerprint,
        };
        Returns.Add(r);
        return r;
    }

    private void Announce(DateTimeOffset now, Doer doer, LiveReturn r) =>
        Happen(now, EventTypes.ReturnAuthorised, doer,
            $"{r.Id} authorised: {Describe(r.Lines.Select(l => (l.LineId, l.Quantity)))} by {Name(r.Method)} to {r.LocationId}"
            + (r.ExchangeId is { } exchange ? $" for exchange {exchange}" : $", refund about {r.Estimated} {Currency}"),
            new { orderId = OrderId, @return = r.View(OrderId, Currency) });

    private LiveReturnLine NewLine(string lineId, int quantity, ReturnReason reason)
    {
        var line = Request.Lines.First(l => l.LineId == lineId);
        return new LiveReturnLine { LineId = lineId, Sku = line.Sku, Quantity = quantity, Reason = reason, UnitPrice = line.UnitPrice };
    }

    /// <summary>Each order line as the policy sees it; an intercept's units never reached the customer, so they do not count.</summary>
    public Dictionary<string, ReturnableLine> Returnable() => Request.Lines.ToDictionary(
        l => l.LineId,
        l => new ReturnableLine(l.LineId, l.FinalSale,
            [.. Facts!.Handed.Where(h => h.LineId == l.LineId).Select(h => new Handed(h.At, h.Quantity))],
            Returns.Where(r => r.Method != ReturnMethod.Intercept).Sum(r => Returning(r, l.LineId))),
        StringComparer.Ordinal);

    /// <summary>Units of the line a return holds: all of them while open, what arrived once it is closed.</summary>
    private static int Returning(LiveReturn r, string lineId) => r.IsOpen
        ? r.Units(lineId)
        : r.Lines.Where(l => l.LineId == lineId).Sum(l => l.Received);

    // ---- Receiving ------------------------------------------------------------------------------------------

    public ReturnChange Receive(string returnId, ReceiveReturn receipt, DateTimeOffset now, Doer doer, ReturnOptions options)
    {
        // A return held for an exchange still being placed is not one yet: nothing may arrive for it.
        if (Find(returnId) is not { Pending: false } r)
        {
            return ReturnChange.Refused(ReturnOutcome.NotFound, "returnId", $"order '{OrderId}' has no return '{returnId}'.");
        }

        var fingerprint = JsonSerializer.Serialize(receipt, EventJson.Options);
        if (r.Receipts.FirstOrDefault(x => x.EventId == receipt.EventId) is { } seen)
        {
            return JsonSerializer.Serialize(new ReceiveReturn(seen.EventId, seen.LocationId, seen.Lines), EventJson.Options) == fingerprint
                ? new ReturnChange(ReturnOutcome.Replayed, r, [])
                : ReturnChange.Refused(ReturnOutcome.KeyConflict, "eventId", "This event id was already used for a different receipt.", target: r);
        }

        if (r.Receipts.Count >= MaxReceipts)
        {
            return ReturnChange.Refused(ReturnOutcome.Impossible, "eventId", $"this return has had {MaxReceipts} receipts; no more are taken.", target: r);
        }

        var authorised = r.Lines.GroupBy(l => l.LineId).ToDictionary(g => g.Key, g => g.Sum(l => l.Quantity), StringComparer.Ordinal);
        var received = r.Lines.GroupBy(l => l.LineId).ToDictionary(g => g.Key, g => g.Sum(l => l.Received), StringComparer.Ordinal);
        var lines = receipt.Lines.Select(l => new ReceiptLine(l.LineId, l.Quantity, l.Condition)).ToList();
        if (ReturnLifecycle.Check(r.Status, authorised, received, lines) is { } refusal)
        {
            return ReturnChange.Refused(refusal.Field == "returnId" ? ReturnOutcome.Impossible : ReturnOutcome.Invalid, refusal.Field, refusal.Message, target: r);
        }

        Version++;
        // The money first, on what had arrived before: these units are counted once, as the ones refunded. An
        // exchange's units pay for their replacement instead.
        var refund = r.ExchangeId is not null ? null : NewRefund(now, RefundReason.Return, r.Id,
            [.. receipt.Lines.GroupBy(l => l.LineId).Select(g =>
            {
                var line = r.Lines.First(l => l.LineId == g.Key);
                return new RefundLine(g.Key, g.Sum(l => l.Quantity), line.UnitPrice, r.Method == ReturnMethod.Intercept ? null : line.Reason);
            })], options);

        var steps = new List<StockStep>();
        for (var i = 0; i < receipt.Lines.Count; i++)
        {
            var line = receipt.Lines[i];
            var live = r.Lines.First(l => l.LineId == line.LineId);
            live.Received += line.Quantity;
            live.Damaged += line.Condition == ReturnCondition.Damaged ? line.Quantity : 0;
            var movement = line.Condition == ReturnCondition.Damaged ? PhysicalMovement.ReturnedDamaged : PhysicalMovement.Returned;
            steps.Add(new StockStep(receipt.LocationId, live.Sku, line.LineId, line.Quantity, movement,
                $"{r.Id}/{receipt.EventId}/{i.ToString(CultureInfo.InvariantCulture)}"));
        }

        r.Status = ReturnLifecycle.After(authorised, r.Lines.GroupBy(l => l.LineId).ToDictionary(g => g.Key, g => g.Sum(l => l.Received), StringComparer.Ordinal));
        var record = new ReturnReceipt(receipt.EventId, now, receipt.LocationId, receipt.Lines, doer.Actor, refund?.Refund.Id);
        r.Receipts.Add(record);
        if (r.Method == ReturnMethod.Intercept && r.Status == ReturnStatus.Received && r.FulfilmentId is { } parcel)
        {
            InterceptsBack.Add(parcel);
        }

        // Accounting hears of the units before it is asked for their money.
        Happen(now, EventTypes.ReturnReceived, doer,
            $"{r.Id} received at {receipt.LocationId}: {string.Join(", ", receipt.Lines.Select(l => $"line {l.LineId} x{l.Quantity} {Name(l.Condition)}"))}",
            new { orderId = OrderId, @return = r.View(OrderId, Currency), receipt = record });
        if (refund is { } made)
        {
            Announce(now, doer, made.Refund, made.Capped);
        }

        if (r.Status == ReturnStatus.Received && Exchanges.FirstOrDefault(x => x.Id == r.ExchangeId) is { } exchange)
        {
            if (exchange.Mode == ExchangeMode.AfterReturn)
            {
                ToRelease.Add(exchange.Id);
            }

            if (exchange.Difference < 0 && NewRefund(now, RefundReason.ExchangeDifference, r.Id, [], options, -exchange.Difference) is { } balance)
            {
                Announce(now, doer, balance.Refund, balance.Capped);
            }
        }

        return new ReturnChange(ReturnOutcome.Received, r, steps);
    }

    // ---- Refunds ------------------------------------------------------------------------------------------

    /// <summary>What these units would bring back now, under the rules and the cap.</summary>
    public RefundDecision Refund(IReadOnlyList<RefundLine> lines, ReturnOptions options) =>
        RefundPolicy.Compute(lines, new RefundBasis(Paid(), Refunded(), Request.ShippingAmount, WholeOrderWith(lines), ShippingRefunded), options);

    /// <summary>
    /// What the customer paid: the order at checkout, and each balance charged since. An exchange's replacement was
    /// paid for with the units it replaced, so its lines add nothing of their own.
    /// </summary>
    public decimal Paid()
    {
        var replacements = Exchanges.SelectMany(x => x.ReplacementLineIds).ToHashSet(StringComparer.Ordinal);
        return Request.Lines.Where(l => !replacements.Contains(l.LineId)).Sum(l => l.UnitPrice * l.Quantity) + Request.ShippingAmount + Charges.Sum(c => c.Amount);
    }

    /// <summary>What refunds requested or paid add up to; a failed one gave nothing back.</summary>
    public decimal Refunded() => Refunds.Where(r => r.Status != RefundStatus.Failed).Sum(r => r.Amount);

    /// <summary>With these units, every unit ordered has come back or been cancelled.</summary>
    private bool WholeOrderWith(IReadOnlyList<RefundLine> lines) => Request.Lines.All(l =>
        Returns.Sum(r => r.Lines.Where(x => x.LineId == l.LineId).Sum(x => x.Received))
        + CancelledRefunded.GetValueOrDefault(l.LineId) + ExpiredRefunded.GetValueOrDefault(l.LineId)
        + lines.Where(x => x.LineId == l.LineId).Sum(x => x.Quantity) >= l.Quantity);

    /// <summary>A refund of these units, on the units already back (the caller counts these only afterwards); none when nothing is due.</summary>
    /// <param name="amount">A sum of money rather than units (an exchange's balance), still capped at what is left.</param>
    private (LiveRefund Refund, bool Capped)? NewRefund(DateTimeOffset now, RefundReason reason, string? returnId, IReadOnlyList<RefundLine> lines, ReturnOptions options,
        decimal? amount = null)
    {
        var decision = amount is { } sum
            ? new RefundDecision(Math.Min(sum, Math.Max(0m, Paid() - Refunded())), 0m, 0m, 0m, sum > Paid() - Refunded())
            : Refund(lines, options);
        if (decision.Amount <= 0)
        {
            return null;
        }

        var refund = new LiveRefund
        {
            Id = RefundId(OrderId, Refunds.Count + 1),
            Amount = decision.Amount,
            Reason = reason,
            Lines = [.. lines.Select(l => new RefundLineView(l.LineId, l.Quantity, l.UnitPrice))],
            Status = RefundStatus.Requested,
            RequestedAt = now,
            ReturnId = returnId,
            Shipping = decision.Shipping,
            RestockingFee = decision.RestockingFee,
        };
        ShippingRefunded |= decision.Shipping > 0;
        Refunds.Add(refund);
        return (refund, decision.Capped);
    }

    private void Announce(DateTimeOffset now, Doer doer, LiveRefund refund, bool capped) =>
        Happen(now, EventTypes.RefundRequested, doer,
            $"{refund.Id} requested: {refund.Amount} {Currency} for {Name(refund.Reason)}" + (capped ? " (capped at what is left of the payment)" : ""),
            new { orderId = OrderId, refund = refund.View(OrderId, Currency) });

    public (RefundReportOutcome Outcome, LiveRefund? Refund, string? Message) ReportRefund(string refundId, RefundReport report, DateTimeOffset now, Doer doer)
    {
        if (FindRefund(refundId) is not { } refund)
        {
            return (RefundReportOutcome.NotFound, null, $"order '{OrderId}' has no refund '{refundId}'.");
        }

        var fingerprint = JsonSerializer.Serialize(report, EventJson.Options);
        if (refund.Events.TryGetValue(report.EventId, out var seen))
        {
            return seen == fingerprint
                ? (RefundReportOutcome.Replayed, refund, null)
                : (RefundReportOutcome.KeyConflict, refund, "This event id was already used for a different answer.");
        }

        if (refund.Status != RefundStatus.Requested)
        {
            return (RefundReportOutcome.AlreadySettled, refund, $"Refund {refund.Id} has already {Name(refund.Status)}.");
        }

        Version++;
        refund.Status = report.Type == RefundReportType.Succeeded ? RefundStatus.Succeeded : RefundStatus.Failed;
        refund.Reference = report.Reference;
        refund.SettledAt = now;
        refund.Events[report.EventId] = fingerprint;
        if (refund.Status == RefundStatus.Failed && refund.Shipping > 0)
        {
            // The shipping it carried was not given back, so a later refund may carry it.
            ShippingRefunded = false;
        }

        Happen(now, refund.Status == RefundStatus.Succeeded ? EventTypes.RefundSucceeded : EventTypes.RefundFailed, doer,
            $"{refund.Id} {Name(refund.Status)}" + (report.Reference is { } reference ? $" ({reference})" : ""),
            new { orderId = OrderId, refund = refund.View(OrderId, Currency) });
        return (RefundReportOutcome.Applied, refund, null);
    }

    // ---- What the fulfilment says ---------------------------------------------------------------------------

    /// <summary>
    /// Takes in the fulfilment's facts: refunds what a captured order lost to cancellations and expired pickups since
    /// the last facts, authorises the return of each new intercept, and closes the intercepts delivered anyway.
    /// </summary>
    /// <returns>Whether anything changed.</returns>
    public bool Settle(AftercareFacts facts, DateTimeOffset now, ReturnOptions options)
    {
        var first = Facts is null;
        Facts = facts;
        var system = new Doer("system", null);
        var version = Version;
        InterceptsBack.RemoveAll(parcel => facts.Intercepts.Any(i => i.FulfilmentId == parcel && i.Returned));
        ToRelease.RemoveAll(id => facts.Exchanges?.Any(x => x.ExchangeId == id && x.Status != ExchangeStatus.Created) == true);
        ToDrop.RemoveAll(id => facts.Exchanges?.Any(x => x.ExchangeId == id && x.Status != ExchangeStatus.Created) == true);
        foreach (var exchange in Exchanges.Where(x => !x.Confirmed && facts.Exchanges?.Any(f => f.ExchangeId == x.Id) == true))
        {
            Bump(version);
            exchange.Confirmed = true;
            var r = Find(exchange.ReturnId)!;
            r.Pending = false;
            Announce(now, new Doer(r.Actor, null), r);
            if (exchange.Difference > 0)
            {
                Charge(now, system, exchange.Difference, "exchangeDifference", exchange.Id);
            }
        }

        if (facts.Request.PaymentCaptured)
        {
            RefundUndone(version, now, system, RefundReason.Cancellation, facts.Cancelled, CancelledRefunded, options);
            RefundUndone(version, now, system, RefundReason.PickupExpired, facts.Expired, ExpiredRefunded, options);
        }

        foreach (var intercept in facts.Intercepts)
        {
            var r = Returns.FirstOrDefault(x => x.Method == ReturnMethod.Intercept && x.FulfilmentId == intercept.FulfilmentId);
            if (r is null && !intercept.Failed && !intercept.Returned)
            {
                Bump(version);
                r = new LiveReturn
                {
                    Id = ReturnId(OrderId, ++Created),
                    Status = ReturnStatus.Authorised,
                    Method = ReturnMethod.Intercept,
                    LocationId = intercept.LocationId,
                    Lines = [.. intercept.Lines.Select(l => NewLine(l.LineId, l.Quantity, ReturnReason.Other))],
                    AuthorisedAt = intercept.At,
                    ExpiresAt = ReturnPolicy.ExpiresAt(intercept.At, options),
                    Note = intercept.Reason,
                    Actor = intercept.Actor,
                    FulfilmentId = intercept.FulfilmentId,
                };
                r.Estimated = Refund([.. r.Lines.Select(l => new RefundLine(l.LineId, l.Quantity, l.UnitPrice, null))], options).Amount;
                Returns.Add(r);
                Happen(now, EventTypes.ReturnAuthorised, new Doer(intercept.Actor, null),
                    $"{r.Id} authorised: parcel {intercept.FulfilmentId} intercepted on its way, back to {r.LocationId}",
                    new { orderId = OrderId, @return = r.View(OrderId, Currency) });
            }
            else if (r is { IsOpen: true } && intercept.Failed && r.Receipts.Count == 0)
            {
                Bump(version);
                r.Status = ReturnStatus.Cancelled;
                Happen(now, EventTypes.ReturnCancelled, system, $"{r.Id} cancelled: parcel {intercept.FulfilmentId} was delivered before the carrier could stop it",
                    new { orderId = OrderId, @return = r.View(OrderId, Currency), reason = "interceptFailed" });
            }
        }

        return first || Version != version;
    }

    private void RefundUndone(long before, DateTimeOffset now, Doer doer, RefundReason reason, IReadOnlyDictionary<string, int> undone, Dictionary<string, int> refunded, ReturnOptions options)
    {
        var lines = Request.Lines
            .Select(l => (Line: l, Units: undone.GetValueOrDefault(l.LineId) - refunded.GetValueOrDefault(l.LineId)))
            .Where(x => x.Units > 0)
            .Select(x => new RefundLine(x.Line.LineId, x.Units, x.Line.UnitPrice, null))
            .ToList();
        if (lines.Count == 0)
        {
            return;
        }

        Bump(before);
        if (NewRefund(now, reason, null, lines, options) is { } made)
        {
            Announce(now, doer, made.Refund, made.Capped);
        }

        foreach (var line in lines)
        {
            refunded[line.LineId] = refunded.GetValueOrDefault(line.LineId) + line.Quantity;
        }
    }

    private void Charge(DateTimeOffset now, Doer doer, decimal amount, string reason, string exchangeId)
    {
        var charge = new LiveCharge { Id = $"{OrderId}~C{Charges.Count + 1}", Amount = amount, Reason = reason, ExchangeId = exchangeId, RequestedAt = now };
        Charges.Add(charge);
        Happen(now, EventTypes.ChargeRequested, doer, $"{charge.Id} requested: {amount} {Currency} for exchange {exchangeId} ({reason})",
            new { orderId = OrderId, charge = charge.View(Currency) });
    }

    // ---- Expiry -------------------------------------------------------------------------------------------

    public DateTimeOffset? NextExpiry() => Returns.Where(r => r.IsOpen && !r.Pending).Select(r => (DateTimeOffset?)r.ExpiresAt).Min();

    /// <returns>Whether any authorisation ran out.</returns>
    public bool Expire(DateTimeOffset now)
    {
        var version = Version;
        foreach (var r in Returns.Where(r => r.IsOpen && !r.Pending && r.ExpiresAt <= now))
        {
            Bump(version);
            r.Status = ReturnStatus.Expired;
            var system = new Doer("system", null);
            Happen(now, EventTypes.ReturnExpired, system,
                $"{r.Id} expired: " + (r.Receipts.Count == 0 ? "nothing arrived" : "not everything arrived") + $" by {r.ExpiresAt:u}",
                new { orderId = OrderId, @return = r.View(OrderId, Currency) });
            if (Exchanges.FirstOrDefault(x => x.Id == r.ExchangeId) is { Confirmed: true } exchange)
            {
                // Held, the replacement is let go; sent ahead, the customer keeps both and pays for what never came back.
                if (exchange.Mode == ExchangeMode.AfterReturn)
                {
                    ToDrop.Add(exchange.Id);
                }
                else if (r.Lines.Sum(l => (l.Quantity - l.Received) * l.UnitPrice) is > 0 and var kept)
                {
                    Charge(now, system, kept, "advanceExchangeNotReturned", exchange.Id);
                }
            }
        }

        return Version != version;
    }

    // ---- Receiving queues -----------------------------------------------------------------------------------

    /// <summary>Every location whose receiving queue shows a return of this order, with what it shows.</summary>
    public Dictionary<string, List<ReturnTask>> Tasks()
    {
        var tasks = Queued.ToDictionary(l => l, _ => new List<ReturnTask>(), StringComparer.Ordinal);
        foreach (var r in Shown().Where(r => r.IsOpen))
        {
            var view = r.View(OrderId, Currency);
            var task = new ReturnTask(r.Id, OrderId, r.Status, r.Method, view.Lines, r.AuthorisedAt, r.ExpiresAt, Request.Customer.Name);
            (tasks.TryGetValue(r.LocationId, out var list) ? list : tasks[r.LocationId] = []).Add(task);
        }

        return tasks;
    }

    /// <summary>One version per change, however many things it does.</summary>
    private void Bump(long before)
    {
        if (Version == before)
        {
            Version++;
        }
    }

    private void Happen(DateTimeOffset at, string type, Doer doer, string details, object data) =>
        Untold.Add(new FulfilmentHappening(Version, at, type, doer.Actor, doer.Name, details, JsonSerializer.Serialize(data, EventJson.Options)));

    private static string Describe(IEnumerable<(string LineId, int Quantity)> lines) => string.Join(", ", lines.Select(l => $"line {l.LineId} x{l.Quantity}"));

    private static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());
}
