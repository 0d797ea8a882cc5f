using CsCheck;
using Oms.Contracts.Events;
using Oms.Contracts.Orders;
using Oms.Contracts.Returns;
using Oms.Grains.Fulfilments;
using Oms.Grains.Returns;

namespace Oms.Tests.Returns;

/// <summary>An order's after-care as a pure book: returns, receipts, refunds and what the fulfilment says, without Orleans.</summary>
public sealed class ReturnBookTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Doer Agent = new("key:care", "Care");

    private static PlaceOrder Order(bool captured = false, decimal shipping = 0m, params (int Units, decimal Price)[] lines) => new(
        OrderChannel.Web, new Customer("C1", null, "Ada"),
        [.. lines.Select((l, i) => new OrderLine($"{i + 1}", $"SKU{i + 1}", l.Units, l.Price, "EUR"))],
        new Delivery(DeliveryMethod.ShipToHome, null, null), null, null, shipping, captured);

    private static AftercareFacts Facts(PlaceOrder order, IReadOnlyDictionary<string, int>? handed = null, IReadOnlyDictionary<string, int>? cancelled = null,
        IReadOnlyList<InterceptFact>? intercepts = null) => new(
        order,
        [.. (handed ?? order.Lines.ToDictionary(l => l.LineId, l => l.Quantity)).Select(h => new HandedUnits(h.Key, h.Value, Now.AddDays(-1)))],
        cancelled ?? new Dictionary<string, int>(), new Dictionary<string, int>(), intercepts ?? []);

    private static ReturnBook Book() => new() { OrderId = "O1" };

    private static AuthoriseReturn Request(string key, params (string Line, int Units, ReturnReason Reason)[] lines) =>
        new(key, [.. lines.Select(l => new ReturnLineRequest(l.Line, l.Units, l.Reason))], ReturnMethod.ShipBack, "WH1", null);

    private static ReceiveReturn Receipt(string eventId, params (string Line, int Units, ReturnCondition Condition)[] lines) =>
        new(eventId, "WH1", [.. lines.Select(l => new ReceiveLine(l.Line, l.Units, l.Condition))]);

    [Fact]
    public void Ids_lead_back_to_their_order_and_nothing_else_does()
    {
        Assert.Equal("ORD-1.a", ReturnBook.OrderOf(ReturnBook.ReturnId("ORD-1.a", 12), 'R'));
        Assert.Equal("ORD-1", ReturnBook.OrderOf(ReturnBook.RefundId("ORD-1", 3), 'F'));
        foreach (var bad in new[] { "ORD-1", "ORD-1~F3", "~R1", "ORD-1~R", "ORD-1~R0", "ORD-1~R1x", "OR D~R1", "ORD-1~R1234567", "" })
        {
            Assert.Null(ReturnBook.OrderOf(bad, 'R'));
        }
    }

    [Fact]
    public void A_receipt_refunds_its_units_moves_them_into_stock_once_and_the_rest_is_still_expected()
    {
        var book = Book();
        var facts = Facts(Order(lines: (3, 100m)));
        var r = book.Authorise(Request("k1", ("1", 3, ReturnReason.DoesNotFit)), facts, Now, Agent, new ReturnOptions()).Return!;
        Assert.Equal(300m, r.Estimated);

        var first = book.Receive(r.Id, Receipt("e1", ("1", 1, ReturnCondition.Resellable), ("1", 1, ReturnCondition.Damaged)), Now, Agent, new ReturnOptions());
        Assert.Equal(ReturnOutcome.Received, first.Outcome);
        Assert.Equal(ReturnStatus.PartiallyReceived, r.Status);
        Assert.Equal([Oms.Contracts.Stock.PhysicalMovement.Returned, Oms.Contracts.Stock.PhysicalMovement.ReturnedDamaged], first.Steps.Select(s => s.Movement));
        Assert.Equal(200m, Assert.Single(book.Refunds).Amount);

        var replay = book.Receive(r.Id, Receipt("e1", ("1", 1, ReturnCondition.Resellable), ("1", 1, ReturnCondition.Damaged)), Now, Agent, new ReturnOptions());
        Assert.Equal((ReturnOutcome.Replayed, 0), (replay.Outcome, replay.Steps.Count));
        Assert.Equal(ReturnOutcome.KeyConflict, book.Receive(r.Id, Receipt("e1", ("1", 1, ReturnCondition.Resellable)), Now, Agent, new ReturnOptions()).Outcome);
        Assert.Equal("lines[0].quantity", book.Receive(r.Id, Receipt("e2", ("1", 2, ReturnCondition.Resellable)), Now, Agent, new ReturnOptions()).Field);

        book.Receive(r.Id, Receipt("e3", ("1", 1, ReturnCondition.Resellable)), Now, Agent, new ReturnOptions());
        Assert.Equal(ReturnStatus.Received, r.Status);
        Assert.Equal([200m, 100m], book.Refunds.Select(x => x.Amount));
    }

    [Fact]
    public void A_view_handed_out_does_not_change_when_the_book_does()
    {
        var book = Book();
        var r = book.Authorise(Request("k1", ("1", 2, ReturnReason.DoesNotFit)), Facts(Order(lines: (2, 100m))), Now, Agent, new ReturnOptions()).Return!;
        var view = r.View("O1", "EUR");
        book.Receive(r.Id, Receipt("e1", ("1", 1, ReturnCondition.Resellable)), Now, Agent, new ReturnOptions());
        var refund = book.Refunds[0].View("O1", "EUR");
        book.Receive(r.Id, Receipt("e2", ("1", 1, ReturnCondition.Resellable)), Now, Agent, new ReturnOptions());
        Assert.Empty(view.Receipts);
        Assert.Single(refund.Lines);
        Assert.Equal(2, r.View("O1", "EUR").Receipts.Count);
    }

    [Fact]
    public void Shipping_comes_back_once_with_the_last_unit_and_again_only_if_that_refund_failed()
    {
        var book = Book();
        var facts = Facts(Order(shipping: 20m, lines: (2, 100m)));
        var options = new ReturnOptions();
        var a = book.Authorise(Request("k1", ("1", 1, ReturnReason.ChangedMind)), facts, Now, Agent, options).Return!;
        var b = book.Authorise(Request("k2", ("1", 1, ReturnReason.ChangedMind)), facts, Now, Agent, options).Return!;
        book.Receive(a.Id, Receipt("e1", ("1", 1, ReturnCondition.Resellable)), Now, Agent, options);
        Assert.Equal(100m, book.Refunds[^1].Amount);
        book.Receive(b.Id, Receipt("e2", ("1", 1, ReturnCondition.Resellable)), Now, Agent, options);
        Assert.Equal((120m, 20m), (book.Refunds[^1].Amount, book.Refunds[^1].Shipping));

        book.ReportRefund(book.Refunds[^1].Id, new RefundReport("a1", RefundReportType.Failed, null), Now, Agent);
        Assert.False(book.ShippingRefunded);
        Assert.Equal(100m, book.Refunded());
    }

    [Fact]
    public void A_captured_order_is_refunded_what_each_cancellation_adds_and_never_twice_for_the_same_units()
    {
        var book = Book();
        var order = Order(captured: true, lines: (3, 50m));
        Assert.True(book.Settle(Facts(order, cancelled: new Dictionary<string, int> { ["1"] = 1 }), Now, new ReturnOptions()));
        Assert.False(book.Settle(Facts(order, cancelled: new Dictionary<string, int> { ["1"] = 1 }), Now, new ReturnOptions()));
        book.Settle(Facts(order, cancelled: new Dictionary<string, int> { ["1"] = 3 }), Now, new ReturnOptions());
        Assert.Equal([50m, 100m], book.Refunds.Select(r => r.Amount));
        Assert.All(book.Refunds, r => Assert.Equal(RefundReason.Cancellation, r.Reason));

        var uncaptured = Book();
        uncaptured.Settle(Facts(Order(lines: (3, 50m)), cancelled: new Dictionary<string, int> { ["1"] = 3 }), Now, new ReturnOptions());
        Assert.Empty(uncaptured.Refunds);
    }

    [Fact]
    public void An_intercept_is_a_return_to_the_sender_withdrawn_if_the_parcel_is_delivered_and_told_back_once_received()
    {
        var book = Book();
        var order = Order(lines: (2, 100m));
        var requested = new InterceptFact("F1", "WH1", [new CancelLine("1", 2)], Now, false, false, "too slow", "key:web");
        book.Settle(Facts(order, handed: new Dictionary<string, int>(), intercepts: [requested]), Now, new ReturnOptions());
        var r = Assert.Single(book.Returns);
        Assert.Equal((ReturnMethod.Intercept, "F1", "WH1", "key:web"), (r.Method, r.FulfilmentId, r.LocationId, r.Actor));

        // An intercept's units never reached the customer: they are no grounds for an ordinary return.
        Assert.Equal(ReturnOutcome.Refused, book.Authorise(Request("k1", ("1", 1, ReturnReason.Other)), Facts(order, handed: new Dictionary<string, int>()), Now, Agent, new ReturnOptions()).Outcome);

        book.Receive(r.Id, Receipt("e1", ("1", 2, ReturnCondition.Resellable)), Now, Agent, new ReturnOptions());
        Assert.Equal(["F1"], book.InterceptsBack);
        Assert.Equal(200m, Assert.Single(book.Refunds).Amount);
        book.Settle(Facts(order, handed: new Dictionary<string, int>(), intercepts: [requested with { Returned = true }]), Now, new ReturnOptions());
        Assert.Empty(book.InterceptsBack);

        var late = Book();
        late.Settle(Facts(order, handed: new Dictionary<string, int>(), intercepts: [requested]), Now, new ReturnOptions());
        late.Settle(Facts(order, intercepts: [requested with { Failed = true }]), Now, new ReturnOptions());
        Assert.Equal(ReturnStatus.Cancelled, Assert.Single(late.Returns).Status);
        Assert.Equal(ReturnOutcome.Authorised, late.Authorise(Request("k1", ("1", 2, ReturnReason.Other)), Facts(order), Now, Agent, new ReturnOptions()).Outcome);
    }

    private static ExchangeReturn Swap(string key, ExchangeMode mode, decimal price) =>
        new(key, "X1", mode, [new ReturnLineRequest("1", 1, ReturnReason.DoesNotFit)], ReturnMethod.ShipBack, "WH1", [new OrderLine("1-x1", "SKU1-L", 1, price, "EUR")]);

    private static AftercareFacts Committed(AftercareFacts facts, ExchangeStatus status = ExchangeStatus.Created, ExchangeMode mode = ExchangeMode.Advance) =>
        facts with
        {
            Request = facts.Request with { Lines = [.. facts.Request.Lines, new OrderLine("1-x1", "SKU1-L", 1, 120m, "EUR")] },
            Exchanges = [new ExchangeFact("X1", mode, status)],
        };

    [Fact]
    public void An_exchange_return_is_held_unseen_until_the_replacement_commits_and_a_withdrawn_one_frees_its_units()
    {
        var book = Book();
        var facts = Facts(Order(lines: (1, 100m)));
        var held = book.AuthoriseExchange(Swap("k1", ExchangeMode.Advance, 120m), facts, Now, Agent, new ReturnOptions());
        Assert.Equal(ReturnOutcome.Authorised, held.Outcome);
        Assert.Empty(book.Summary().Returns);
        Assert.Empty(book.Untold);
        Assert.Equal(ReturnOutcome.NotFound, book.Receive(held.Return!.Id, Receipt("e1", ("1", 1, ReturnCondition.Resellable)), Now, Agent, new ReturnOptions()).Outcome);
        Assert.Equal(ReturnOutcome.Refused, book.Authorise(Request("k2", ("1", 1, ReturnReason.Other)), facts, Now, Agent, new ReturnOptions()).Outcome);

        Assert.True(book.WithdrawExchange("X1"));
        Assert.Equal(ReturnOutcome.Authorised, book.Authorise(Request("k2", ("1", 1, ReturnReason.Other)), facts, Now, Agent, new ReturnOptions()).Outcome);

        var other = Book();
        other.AuthoriseExchange(Swap("k1", ExchangeMode.Advance, 120m), facts, Now, Agent, new ReturnOptions());
        other.Settle(Committed(facts), Now, new ReturnOptions());
        Assert.Single(other.Summary().Returns);
        Assert.Equal([EventTypes.ReturnAuthorised, EventTypes.ChargeRequested], other.Untold.Select(h => h.Type));
        Assert.Equal(20m, Assert.Single(other.Charges).Amount);
        Assert.False(other.WithdrawExchange("X1"));
        Assert.Equal(120m, other.Paid());
    }

    [Fact]
    public void An_advance_replacement_whose_return_never_comes_is_charged_and_a_held_one_is_dropped()
    {
        var options = new ReturnOptions { AuthorisationDays = 1 };
        var facts = Facts(Order(lines: (1, 100m)));
        var advance = Book();
        advance.AuthoriseExchange(Swap("k1", ExchangeMode.Advance, 100m), facts, Now, Agent, options);
        advance.Settle(Committed(facts), Now, options);
        Assert.Empty(advance.Charges);
        Assert.True(advance.Expire(Now.AddDays(2)));
        var charge = Assert.Single(advance.Charges);
        Assert.Equal((100m, "advanceExchangeNotReturned"), (charge.Amount, charge.Reason));

        var held = Book();
        held.AuthoriseExchange(Swap("k1", ExchangeMode.AfterReturn, 90m), facts, Now, Agent, options);
        held.Settle(Committed(facts, mode: ExchangeMode.AfterReturn), Now, options);
        held.Expire(Now.AddDays(2));
        Assert.Equal(["X1"], held.Instructions()!.ExchangesDropped);
        Assert.Empty(held.Charges);
        Assert.Empty(held.Refunds);
        held.Settle(Committed(facts, ExchangeStatus.Dropped, ExchangeMode.AfterReturn), Now, options);
        Assert.Null(held.Instructions());
    }

    [Fact]
    public void Whatever_is_returned_received_cancelled_or_failed_in_any_order_the_refunds_never_exceed_what_was_paid_nor_the_units_what_was_delivered()
    {
        var op = Gen.Select(Gen.Int[0, 4], Gen.Int[1, 3], Gen.Int[0, 1], Gen.Enum<ReturnReason>(), (kind, units, line, reason) => (Kind: kind, Units: units, Line: line, Reason: reason));
        var scenario = Gen.Select(Gen.Int[1, 5], Gen.Int[1, 5], Gen.Int[0, 3_000], Gen.Bool, op.Array[1, 40],
            (a, b, shipping, captured, ops) => (A: a, B: b, Shipping: shipping, Captured: captured, Ops: ops));
        scenario.Sample(s =>
        {
            var order = Order(s.Captured, s.Shipping / 100m, (s.A, 99.99m), (s.B, 1234.5m));
            var options = new ReturnOptions { RestockingFees = { [ReturnReason.ChangedMind] = 0.15m } };
            var book = Book();
            var cancelled = new Dictionary<string, int> { ["1"] = 0, ["2"] = 0 };
            var delivered = new Dictionary<string, int> { ["1"] = 0, ["2"] = 0 };
            var n = 0;
            foreach (var (kind, units, index, reason) in s.Ops)
            {
                var line = $"{index + 1}";
                var ordered = order.Lines[index].Quantity;
                n++;
                switch (kind)
                {
                    case 0 when delivered[line] + cancelled[line] + units <= ordered:
                        delivered[line] += units;
                        break;
                    case 1 when delivered[line] + cancelled[line] + units <= ordered:
                        cancelled[line] += units;
                        book.Settle(Facts(order, delivered, cancelled), Now, options);
                        break;
                    case 2:
                        book.Authorise(Request($"k{n}", (line, units, reason)), Facts(order, delivered, cancelled), Now, Agent, options);
                        break;
                    case 3 when book.Returns.LastOrDefault(r => r.IsOpen) is { } open:
                        var l = open.Lines[0];
                        book.Receive(open.Id, Receipt($"e{n}", (l.LineId, Math.Min(units, l.Quantity - l.Received), ReturnCondition.Resellable)), Now, Agent, options);
                        break;
                    case 4 when book.Refunds.LastOrDefault(r => r.Status == RefundStatus.Requested) is { } refund:
                        book.ReportRefund(refund.Id, new RefundReport($"a{n}", units == 1 ? RefundReportType.Failed : RefundReportType.Succeeded, null), Now, Agent);
                        break;
                }

                Assert.True(book.Refunded() <= order.Total, $"refunded {book.Refunded()} of {order.Total} paid");
                Assert.All(book.Refunds, r => Assert.True(r.Amount > 0));
                foreach (var ol in order.Lines)
                {
                    var returning = book.Returns.Where(r => r.Status != ReturnStatus.Cancelled)
                        .Sum(r => r.IsOpen ? r.Units(ol.LineId) : r.Lines.Where(x => x.LineId == ol.LineId).Sum(x => x.Received));
                    Assert.True(returning <= delivered[ol.LineId], $"line {ol.LineId}: {returning} returning of {delivered[ol.LineId]} delivered");
                }
            }
        });
    }
}
