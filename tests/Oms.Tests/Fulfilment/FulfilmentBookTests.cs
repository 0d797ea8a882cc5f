using Oms.Contracts.Events;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Contracts.Returns;
using Oms.Contracts.Stock;
using Oms.Grains.Fulfilments;
using Oms.Grains.Orders;

namespace Oms.Tests.Fulfilment;

/// <summary>The fulfilment rules without Orleans: what a report, a cancellation or a deadline does to the units and the stock.</summary>
public sealed class FulfilmentBookTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly Doer Wms = new("key:wms", "WMS");

    private static FulfilmentBook Book(FulfilmentMode mode = FulfilmentMode.Ship, int quantity = 2)
    {
        var request = new PlaceOrder(OrderChannel.Web, new Customer("C1", null, "Ada"), [new OrderLine("1", "BAG", quantity, 100m, "EUR")],
            mode == FulfilmentMode.Ship
                ? new Delivery(DeliveryMethod.ShipToHome, new DeliveryAddress("1 Main St", "Paris", null, "FR", null, null), null)
                : new Delivery(DeliveryMethod.ClickAndCollect, null, "BTQ"),
            null);
        var plan = new Oms.Contracts.Orders.Fulfilment("F1", mode == FulfilmentMode.Pickup ? "BTQ" : "WH", mode, [new FulfilmentLine("1", quantity)], new SourcingExplanation("test", "p", []));
        var handOff = new FulfilmentHandOff(request, [plan], [new LineAllocationAt("1", "BAG", plan.LocationId, quantity)],
            new Dictionary<string, int>(), [], T0);
        return FulfilmentBook.Open("O1", handOff, new Dictionary<string, DateTimeOffset> { ["F1"] = T0.AddMinutes(30) });
    }

    private static FulfilmentReport Report(FulfilmentReportType type, string id, params FulfilmentLine[] lines) =>
        new(id, type, lines.Length == 0 ? null : lines, Reason: type == FulfilmentReportType.Rejected ? RejectionReason.NotFound : null);

    private static BookChange Apply(FulfilmentBook book, FulfilmentReport report, string fulfilmentId = "F1") =>
        book.Report(fulfilmentId, report, T0.AddMinutes(1), Wms, TimeSpan.FromDays(7), () => "123456");

    private static void AssertUnitsAddUp(FulfilmentBook book)
    {
        foreach (var u in book.Units())
        {
            Assert.Equal(book.Line(u.LineId).Quantity, u.Allocated + u.Shipped + u.Delivered + u.Collected + u.Cancelled + u.Unfulfillable);
        }
    }

    [Fact]
    public void A_partial_shipment_divides_the_fulfilment_and_moves_only_the_named_units()
    {
        var book = Book();
        var change = Apply(book, Report(FulfilmentReportType.Shipped, "e1", new FulfilmentLine("1", 1)));

        Assert.Equal(("F1-1", FulfilmentStatus.Shipped, "F1"), (change.Target!.Id, change.Target.Status, change.Target.SplitFrom));
        Assert.Equal(FulfilmentStatus.Requested, book.Find("F1")!.Status);
        Assert.Equal([new StockStep("WH", "BAG", "1", 1, PhysicalMovement.Shipped, "O1/F1-1/shipped/1/e1")], change.Steps);
        Assert.Equal(new LineUnits("1", 1, 1, 0, 0, 0, 0), book.UnitsOf("1"));
        Assert.Equal([EventTypes.FulfilmentAccepted, EventTypes.FulfilmentPacked, EventTypes.FulfilmentShipped], book.Untold.Select(h => h.Type));
        AssertUnitsAddUp(book);
    }

    [Fact]
    public void A_replay_moves_nothing_and_the_same_id_for_another_report_is_a_conflict()
    {
        var book = Book();
        Apply(book, Report(FulfilmentReportType.Accepted, "e1"));
        var version = book.Version;

        Assert.Equal(FulfilmentReportOutcome.Replayed, Apply(book, Report(FulfilmentReportType.Accepted, "e1")).Outcome);
        Assert.Equal(FulfilmentReportOutcome.KeyConflict, Apply(book, Report(FulfilmentReportType.Packed, "e1")).Outcome);
        Assert.Equal(version, book.Version);
    }

    [Fact]
    public void A_cancellation_releases_the_allocation_and_a_later_shipment_reclaims_it_and_reverses_the_cancellation()
    {
        var book = Book(quantity: 1);
        var (cancel, outcome) = book.Cancel(new CancelOrder("c1", "changed mind", null, ""), T0, Wms);
        Assert.Equal(CancelOutcome.Cancelled, outcome);
        Assert.Equal([new StockStep("WH", "BAG", "1", 0)], cancel.Steps);
        Assert.Equal(FulfilmentStatus.Cancelled, book.Find("F1")!.Status);

        var shipped = Apply(book, Report(FulfilmentReportType.Shipped, "late"));
        Assert.Equal(FulfilmentReportOutcome.Applied, shipped.Outcome);
        Assert.Equal([new StockStep("WH", "BAG", "1", 1, PhysicalMovement.Shipped, "O1/F1/shipped/1/late", Reclaim: true)], shipped.Steps);
        Assert.Equal(new LineUnits("1", 0, 1, 0, 0, 0, 0), book.UnitsOf("1"));
        Assert.Contains(book.Untold, h => h.Type == EventTypes.OrderCancellationReversed);
        AssertUnitsAddUp(book);
    }

    [Fact]
    public void Units_on_their_way_are_intercepted_by_whole_parcels_and_delivered_ones_cannot_be_cancelled()
    {
        var book = Book();
        var parcel = Apply(book, Report(FulfilmentReportType.Shipped, "e1", new FulfilmentLine("1", 1))).Target!.Id;

        var (invalid, tooMany) = book.Cancel(new CancelOrder("c2", "changed mind", [new CancelLine("1", 3)], ""), T0, Wms);
        Assert.Equal((CancelOutcome.Invalid, "lines[0].quantity"), (tooMany, invalid.Field));

        // One unit has not left and is cancelled; the other is in a parcel of its own, which the carrier is asked to stop.
        var (cancel, outcome) = book.Cancel(new CancelOrder("c1", "changed mind", [new CancelLine("1", 2)], ""), T0, Wms);
        Assert.Equal(CancelOutcome.Cancelled, outcome);
        var intercept = Assert.Single(book.Intercepts);
        Assert.Equal((parcel, 1, false), (intercept.FulfilmentId, intercept.Lines.Single().Quantity, intercept.Failed));
        Assert.Contains(book.Untold, h => h.Type == EventTypes.FulfilmentInterceptRequested);
        Assert.Equal(new LineUnits("1", 0, 1, 0, 0, 1, 0), book.UnitsOf("1"));
        Assert.Equal(CancelOutcome.Replayed, book.Cancel(new CancelOrder("c1", "changed mind", [new CancelLine("1", 2)], ""), T0, Wms).Outcome);

        // Delivered before the carrier could stop it: the intercept fails, and nothing is left to cancel.
        Apply(book, Report(FulfilmentReportType.Delivered, "e2"), parcel);
        Assert.True(intercept.Failed);
        Assert.Contains(book.Untold, h => h.Type == EventTypes.FulfilmentInterceptFailed);
        var (refused, none) = book.Cancel(new CancelOrder("c3", "changed mind", null, ""), T0, Wms);
        Assert.Equal((CancelOutcome.NotCancellable, "orderId"), (none, refused.Field));
        Assert.Equal(new LineUnits("1", 0, 0, 1, 0, 1, 0), book.UnitsOf("1"));
        AssertUnitsAddUp(book);
    }

    [Fact]
    public void A_parcel_carrying_more_than_the_cancel_asks_for_is_not_intercepted_and_a_returned_one_cancels_its_units()
    {
        var book = Book();
        Apply(book, Report(FulfilmentReportType.Shipped, "e1"));
        var (refused, outcome) = book.Cancel(new CancelOrder("c1", "changed mind", [new CancelLine("1", 1)], ""), T0, Wms);
        Assert.Equal((CancelOutcome.NotCancellable, "lines"), (outcome, refused.Field));
        Assert.Empty(book.Intercepts);

        Assert.Equal(CancelOutcome.Cancelled, book.Cancel(new CancelOrder("c2", "changed mind", null, ""), T0, Wms).Outcome);
        var back = book.InterceptsReturned(["F1"], T0);
        Assert.Equal(FulfilmentReportOutcome.Applied, back.Outcome);
        Assert.Empty(back.Steps);
        Assert.Equal((FulfilmentStatus.Cancelled, new LineUnits("1", 0, 0, 0, 0, 2, 0)), (book.Find("F1")!.Status, book.UnitsOf("1")));
        Assert.Equal(FulfilmentReportOutcome.AlreadyPast, book.InterceptsReturned(["F1"], T0).Outcome);

        // Refunds follow what was cancelled before it left, never the intercepted units the return already refunds.
        Assert.Equal(0, book.Aftercare().Cancelled["1"]);
        AssertUnitsAddUp(book);
    }

    [Fact]
    public void An_exchange_adds_its_replacement_only_when_committed_and_a_held_one_is_released_or_dropped_by_after_care()
    {
        var book = Book();
        var request = new CreateExchange("k1", [new ExchangeLineRequest("1", 1, "BAG-L", 110m, ReturnReason.DoesNotFit)], ExchangeMode.AfterReturn, ReturnMethod.ShipBack, "WH");
        Assert.Null(book.StartExchange(request, "fp", T0));
        Assert.Equal(["1", "1-x1"], book.Request!.Lines.Select(l => l.LineId));
        book.AbandonExchange();
        Assert.Equal(["1"], book.Request!.Lines.Select(l => l.LineId));
        Assert.Equal("lines[0].lineId", book.StartExchange(request with { Lines = [request.Lines[0] with { LineId = "9" }] }, "fp", T0)?.Field);

        book.StartExchange(request, "fp", T0);
        book.Propose([new Oms.Contracts.Orders.Fulfilment("F9", "WH", FulfilmentMode.Ship, [new FulfilmentLine("1-x1", 1)], new SourcingExplanation("", "", []))], T0,
            new Dictionary<string, TimeSpan>());
        book.CommitExchange(T0, Wms, "O1~R1");
        var held = book.Fulfilments[^1];
        Assert.Equal((FulfilmentStatus.OnHold, (DateTimeOffset?)null), (held.Status, held.AcceptBy));
        Assert.Equal(1, book.Held("1-x1", "WH"));
        Assert.DoesNotContain(book.Tasks().Values.SelectMany(t => t), t => t.FulfilmentId == held.Id);
        Assert.Equal(10m, book.Summary().Exchanges!.Single().Difference);
        AssertUnitsAddUp(book);

        var released = book.Settle(["X1"], [], T0.AddHours(1), _ => TimeSpan.FromMinutes(30));
        Assert.Equal(FulfilmentReportOutcome.Applied, released.Outcome);
        Assert.Equal((FulfilmentStatus.Requested, T0.AddHours(1).AddMinutes(30)), (held.Status, held.AcceptBy));
        Assert.Equal(FulfilmentReportOutcome.AlreadyPast, book.Settle([], ["X1"], T0, _ => TimeSpan.Zero).Outcome);
    }

    [Fact]
    public void A_held_replacement_whose_return_never_came_is_cancelled_and_its_units_released()
    {
        var book = Book();
        book.StartExchange(new CreateExchange("k1", [new ExchangeLineRequest("1", 1, "BAG-L", 100m, ReturnReason.DoesNotFit)], ExchangeMode.AfterReturn, ReturnMethod.ShipBack, "WH"), "fp", T0);
        book.Propose([new Oms.Contracts.Orders.Fulfilment("F9", "WH", FulfilmentMode.Ship, [new FulfilmentLine("1-x1", 1)], new SourcingExplanation("", "", []))], T0,
            new Dictionary<string, TimeSpan>());
        book.CommitExchange(T0, Wms, "O1~R1");
        var dropped = book.Settle([], ["X1"], T0, _ => TimeSpan.Zero);
        Assert.Equal([new StockStep("WH", "BAG-L", "1-x1", 0)], dropped.Steps);
        Assert.Equal(FulfilmentStatus.Cancelled, book.Fulfilments[^1].Status);
        Assert.Equal(ExchangeStatus.Dropped, book.Aftercare().Exchanges!.Single().Status);
        Assert.Contains(book.Untold, h => h.Type == EventTypes.OrderLinesCancelled);
        AssertUnitsAddUp(book);
    }

    [Theory]
    [InlineData(RejectionReason.NotFound, PhysicalMovement.WrittenOff)]
    [InlineData(RejectionReason.Damaged, PhysicalMovement.Quarantined)]
    [InlineData(RejectionReason.NoCapacity, null)]
    [InlineData(RejectionReason.Other, null)]
    public void A_rejection_moves_the_units_by_its_reason_and_leaves_them_waiting_for_another_location(RejectionReason reason, PhysicalMovement? movement)
    {
        var book = Book();
        var change = Apply(book, new FulfilmentReport("r1", FulfilmentReportType.Rejected, Reason: reason));

        Assert.Equal([new FulfilmentLine("1", 2)], change.Resource);
        Assert.Equal(movement is null ? [new StockStep("WH", "BAG", "1", 0)] : [new StockStep("WH", "BAG", "1", 2, movement, "O1/F1/" + System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(movement.ToString()!) + "/1/r1")],
            change.Steps);
        Assert.Equal(new LineUnits("1", 0, 0, 0, 0, 0, 2), book.UnitsOf("1"));
        Assert.Equal(["WH"], book.Excluded(book.Waiting()).Keys);
        AssertUnitsAddUp(book);
    }

    [Fact]
    public void A_re_sourcing_is_held_apart_until_committed_then_the_lines_wait_no_more()
    {
        var book = Book();
        Apply(book, Report(FulfilmentReportType.Rejected, "r1"));
        var proposed = book.Propose([new Oms.Contracts.Orders.Fulfilment("F1", "WH2", FulfilmentMode.Ship, [new FulfilmentLine("1", 2)], new SourcingExplanation("closest", "p", []))],
            T0, new Dictionary<string, TimeSpan> { ["WH2"] = TimeSpan.FromMinutes(30) });

        Assert.Equal("F2", proposed.Single().Id);
        Assert.Equal(0, book.Held("1", "WH2"));
        Assert.Equal(2, book.Held("1", "WH2", withTentative: true));
        book.Commit(T0, Wms);
        Assert.Equal(new LineUnits("1", 2, 0, 0, 0, 0, 0), book.UnitsOf("1"));
        Assert.Null(book.Tentative);
        Assert.Equal(T0.AddMinutes(30), book.Find("F2")!.AcceptBy);
    }

    [Fact]
    public void Deadlines_time_out_an_unanswered_request_and_expire_an_uncollected_parcel()
    {
        var shipment = Book();
        Assert.Equal(FulfilmentReportOutcome.AlreadyPast, shipment.Deadlines(T0.AddMinutes(29)).Outcome);
        var timedOut = shipment.Deadlines(T0.AddMinutes(30));
        Assert.Equal((FulfilmentStatus.Rejected, RejectionReason.Timeout), (shipment.Find("F1")!.Status, shipment.Find("F1")!.RejectionReason));
        Assert.Equal([new StockStep("WH", "BAG", "1", 0)], timedOut.Steps);
        Assert.Equal(2, timedOut.Resource.Sum(l => l.Quantity));

        var pickup = Book(FulfilmentMode.Pickup);
        Apply(pickup, Report(FulfilmentReportType.ReadyForPickup, "ready"));
        Assert.Equal(T0.AddMinutes(1).AddDays(7), pickup.NextDeadline());
        var expired = pickup.Deadlines(T0.AddDays(8));
        Assert.Equal(FulfilmentStatus.Expired, pickup.Find("F1")!.Status);
        Assert.Equal([new StockStep("BTQ", "BAG", "1", 0)], expired.Steps);
        Assert.Equal([EventTypes.FulfilmentExpired, EventTypes.OrderCancelled], pickup.Untold.Skip(2).Select(h => h.Type));
        AssertUnitsAddUp(pickup);
    }

    [Fact]
    public void A_shipment_reported_after_its_timeout_stands_and_takes_its_units_back_from_the_replacement()
    {
        var book = Book();
        var timedOut = book.Deadlines(T0.AddMinutes(30));
        Assert.Equal(2, timedOut.Resource.Sum(l => l.Quantity));
        book.Propose([new Oms.Contracts.Orders.Fulfilment("F1", "WH2", FulfilmentMode.Ship, [new FulfilmentLine("1", 2)], new SourcingExplanation("closest", "p", []))],
            T0.AddMinutes(30), new Dictionary<string, TimeSpan> { ["WH2"] = TimeSpan.FromMinutes(30) });
        book.Commit(T0.AddMinutes(30), Wms);
        Assert.Equal(2, book.Held("1", "WH2"));

        var late = Apply(book, new FulfilmentReport("late", FulfilmentReportType.Shipped, TrackingNumber: "JD9"));

        Assert.Equal((FulfilmentReportOutcome.Applied, "F1", FulfilmentStatus.Shipped), (late.Outcome, late.Target!.Id, late.Target.Status));
        Assert.Null(late.Target.RejectionReason);
        Assert.Equal([new StockStep("WH", "BAG", "1", 2, PhysicalMovement.Shipped, "O1/F1/shipped/1/late", Reclaim: true), new StockStep("WH2", "BAG", "1", 0)], late.Steps);
        Assert.Equal(FulfilmentStatus.Cancelled, book.Find("F2")!.Status);
        Assert.Equal(new LineUnits("1", 0, 2, 0, 0, 0, 0), book.UnitsOf("1"));
        Assert.Contains(book.Untold, h => h.Type == EventTypes.FulfilmentCancelled && h.Details.Contains("F2"));
        AssertUnitsAddUp(book);
    }

    [Fact]
    public void A_shipment_after_its_timeout_whose_replacement_shipped_too_moves_the_stock_and_needs_a_person()
    {
        var book = Book(quantity: 1);
        book.Deadlines(T0.AddMinutes(30));
        book.Propose([new Oms.Contracts.Orders.Fulfilment("F1", "WH2", FulfilmentMode.Ship, [new FulfilmentLine("1", 1)], new SourcingExplanation("closest", "p", []))],
            T0.AddMinutes(30), new Dictionary<string, TimeSpan> { ["WH2"] = TimeSpan.FromMinutes(30) });
        book.Commit(T0.AddMinutes(30), Wms);
        Apply(book, Report(FulfilmentReportType.Shipped, "f2-shipped"), "F2");

        var twice = Apply(book, new FulfilmentReport("late", FulfilmentReportType.Shipped));

        Assert.Equal([new StockStep("WH", "BAG", "1", 1, PhysicalMovement.Shipped, "O1/F1/shipped/1/late", Reclaim: true)], twice.Steps);
        Assert.Contains("twice", book.NeedsAttention);
        Assert.Equal(new LineUnits("1", 0, 1, 0, 0, 0, 0), book.UnitsOf("1"));
        AssertUnitsAddUp(book);
    }

    [Fact]
    public void A_collection_needs_the_code_the_parcel_was_given()
    {
        var book = Book(FulfilmentMode.Pickup);
        Apply(book, Report(FulfilmentReportType.ReadyForPickup, "ready"));

        Assert.Equal(FulfilmentReportOutcome.WrongPickupCode, Apply(book, new FulfilmentReport("c1", FulfilmentReportType.Collected, PickupCode: "654321")).Outcome);
        Assert.Equal(1, book.Find("F1")!.WrongCodes);
        var collected = Apply(book, new FulfilmentReport("c2", FulfilmentReportType.Collected, PickupCode: "123456"));
        Assert.Equal([new StockStep("BTQ", "BAG", "1", 2, PhysicalMovement.Collected, "O1/F1/collected/1/c2")], collected.Steps);
        Assert.Equal(new LineUnits("1", 0, 0, 0, 2, 0, 0), book.UnitsOf("1"));
    }

    [Fact]
    public void Too_many_wrong_codes_give_the_parcel_a_new_code_and_the_old_one_stops_working()
    {
        var book = Book(FulfilmentMode.Pickup);
        Apply(book, Report(FulfilmentReportType.ReadyForPickup, "ready"));
        for (var i = 1; i <= FulfilmentBook.MaxWrongCodes; i++)
        {
            var wrong = book.Report("F1", new FulfilmentReport($"w{i}", FulfilmentReportType.Collected, PickupCode: $"00000{i}"), T0, Wms, TimeSpan.FromDays(7), () => "777777");
            Assert.Equal(FulfilmentReportOutcome.WrongPickupCode, wrong.Outcome);
        }

        Assert.Equal("777777", book.Find("F1")!.PickupCode);
        Assert.Contains(book.Untold, h => h.Type == EventTypes.FulfilmentReadyForPickup && h.Data.Contains("\"reissued\":true"));
        Assert.Equal(FulfilmentReportOutcome.WrongPickupCode, Apply(book, new FulfilmentReport("old", FulfilmentReportType.Collected, PickupCode: "123456")).Outcome);
        Assert.Equal(FulfilmentReportOutcome.Applied, book.Report("F1", new FulfilmentReport("new", FulfilmentReportType.Collected, PickupCode: "777777"), T0, Wms, TimeSpan.FromDays(7), () => "x").Outcome);
    }

    [Fact]
    public void A_transfer_leaves_its_source_and_is_held_at_the_pickup_boutique_once_received()
    {
        var book = Book(FulfilmentMode.Transfer, quantity: 1);
        var shipped = Apply(book, Report(FulfilmentReportType.Shipped, "s"));
        Assert.Equal([new StockStep("WH", "BAG", "1", 1, PhysicalMovement.Shipped, "O1/F1/shipped/1/s")], shipped.Steps);
        Assert.Equal(0, book.Held("1", "WH") + book.Held("1", "BTQ"));
        Assert.Equal(1, book.UnitsOf("1").Allocated);

        var received = Apply(book, Report(FulfilmentReportType.Received, "r"));
        Assert.Equal([new StockStep("BTQ", "BAG", "1", 1, PhysicalMovement.TransferReceived, "O1/F1/transferReceived/1/r")], received.Steps);
        Assert.Equal(1, book.Held("1", "BTQ"));
        Assert.True(book.Tasks()["BTQ"].Single().Incoming);
    }

    public static TheoryData<string, int, int, int, int, int, int, OrderStatus> Statuses => new()
    {
        // allocated, shipped, delivered, collected, cancelled, unfulfillable of 2 ordered
        { "requested", 2, 0, 0, 0, 0, 0, OrderStatus.Allocated },
        { "requested", 1, 0, 0, 0, 1, 0, OrderStatus.PartiallyCancelled },
        { "accepted", 2, 0, 0, 0, 0, 0, OrderStatus.InFulfilment },
        { "accepted", 1, 1, 0, 0, 0, 0, OrderStatus.PartiallyShipped },
        { "shipped", 0, 1, 1, 0, 0, 0, OrderStatus.Shipped },
        { "delivered", 0, 0, 1, 0, 1, 0, OrderStatus.Delivered },
        { "delivered", 0, 0, 2, 0, 0, 0, OrderStatus.Completed },
        { "readyForPickup", 2, 0, 0, 0, 0, 0, OrderStatus.ReadyForPickup },
        { "collected", 0, 0, 0, 1, 1, 0, OrderStatus.Collected },
        { "cancelled", 0, 0, 0, 0, 2, 0, OrderStatus.Cancelled },
        { "rejected", 0, 0, 0, 0, 0, 2, OrderStatus.Allocated },
    };

    [Theory]
    [MemberData(nameof(Statuses))]
    public void The_order_status_follows_from_where_the_units_are(string fulfilmentStatus, int allocated, int shipped, int delivered, int collected, int cancelled, int unfulfillable, OrderStatus expected)
    {
        var status = Enum.Parse<FulfilmentStatus>(fulfilmentStatus, ignoreCase: true);
        var view = new FulfilmentView("F1", "WH", FulfilmentMode.Ship, status, [new FulfilmentLine("1", allocated)], [], new SourcingExplanation("", "", []),
            null, T0, null, null, null, null, null, null, []);
        var summary = new FulfilmentSummary(2, [view], [new LineUnits("1", allocated, shipped, delivered, collected, cancelled, unfulfillable)], null, [], []);
        Assert.Equal(expected, OrderStatuses.Derive(2, summary));
    }
}
