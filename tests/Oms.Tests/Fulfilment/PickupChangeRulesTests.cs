using Oms.Contracts.Events;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Grains.Fulfilments;

namespace Oms.Tests.Fulfilment;

/// <summary>
/// The rules for moving a click-and-collect order to another boutique, without Orleans: which fulfilments let it
/// move (a table of every status per mode), what moves, and what the book and the stock look like after.
/// </summary>
public sealed class PickupChangeRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly Doer Care = new("key:care", "Care desk");

    // A cell is "move" (its open units go to the new boutique), "-" (it holds nothing: it stays as history) or
    // "x" (too late: the change is refused).
    //                            pickup  transfer  ship
    private const string Table = """
        requested                 move    move      x
        accepted                  move    move      x
        packed                    x       move      x
        shipped                   x       x         x
        delivered                 x       x         x
        received                  x       move      x
        readyForPickup            x       x         x
        collected                 x       x         x
        expired                   x       x         x
        rejected                  -       -         -
        cancelled                 -       -         -
        onHold                    x       x         x
        """;

    public static TheoryData<FulfilmentStatus, FulfilmentMode, string> Cells()
    {
        var data = new TheoryData<FulfilmentStatus, FulfilmentMode, string>();
        var modes = new[] { FulfilmentMode.Pickup, FulfilmentMode.Transfer, FulfilmentMode.Ship };
        foreach (var row in Table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var status = Enum.Parse<FulfilmentStatus>(cells[0], ignoreCase: true);
            for (var i = 0; i < modes.Length; i++)
            {
                data.Add(status, modes[i], cells[i + 1]);
            }
        }

        return data;
    }

    [Fact]
    public void The_table_has_a_row_for_every_status()
    {
        var rows = Table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => r.Split(' ')[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.All(Enum.GetValues<FulfilmentStatus>(), s => Assert.Contains(s.ToString(), rows));
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Each_fulfilment_status_lets_the_pickup_move_or_not_as_the_table_says(FulfilmentStatus status, FulfilmentMode mode, string cell)
    {
        var (move, reason) = FulfilmentLifecycle.OnPickupChange(mode, status);
        Assert.Equal(cell switch { "move" => PickupMove.Moves, "-" => PickupMove.Stays, _ => PickupMove.Fixed }, move);
        Assert.Equal(move == PickupMove.Fixed, reason is not null);
    }

    private static FulfilmentBook Book(FulfilmentMode mode = FulfilmentMode.Pickup, int quantity = 2, DeliveryMethod method = DeliveryMethod.ClickAndCollect)
    {
        var request = new PlaceOrder(OrderChannel.Web, new Customer("C1", null, "Ada"), [new OrderLine("1", "BAG", quantity, 100m, "EUR")],
            method == DeliveryMethod.ClickAndCollect
                ? new Delivery(DeliveryMethod.ClickAndCollect, null, "BTQ")
                : new Delivery(DeliveryMethod.ShipToHome, new DeliveryAddress("1 Main St", "Paris", null, "FR", null, null), null),
            null);
        var at = mode == FulfilmentMode.Pickup ? "BTQ" : "WH";
        var plan = new Oms.Contracts.Orders.Fulfilment("F1", at, mode, [new FulfilmentLine("1", quantity)], new SourcingExplanation("test", "p", []));
        var handOff = new FulfilmentHandOff(request, [plan], [new LineAllocationAt("1", "BAG", at, quantity)], new Dictionary<string, int>(), [], T0);
        return FulfilmentBook.Open("O1", handOff, new Dictionary<string, DateTimeOffset> { ["F1"] = T0.AddMinutes(30) });
    }

    private static Oms.Contracts.Orders.Fulfilment Sourced(string locationId, FulfilmentMode mode, int quantity) =>
        new("F1", locationId, mode, [new FulfilmentLine("1", quantity)], new SourcingExplanation("click-and-collect: the pickup boutique's own stock comes first", "p", []));

    private static void AssertUnitsAddUp(FulfilmentBook book)
    {
        foreach (var u in book.Units())
        {
            Assert.Equal(book.Line(u.LineId).Quantity, u.Allocated + u.Shipped + u.Delivered + u.Collected + u.Cancelled + u.Unfulfillable);
        }
    }

    private static BookChange Move(FulfilmentBook book, string to, Oms.Contracts.Orders.Fulfilment sourced, string? reason = "customer moved")
    {
        var plan = book.PlanPickupChange(to);
        Assert.Equal(PickupChangeOutcome.Changed, plan.Outcome);
        book.ProposePickup(plan, to, reason, [sourced], T0, new Dictionary<string, TimeSpan>());
        return book.CommitPickup(T0.AddMinutes(1), Care);
    }

    [Fact]
    public void Moving_withdraws_the_old_fulfilment_releases_its_allocation_and_counts_nothing_cancelled()
    {
        var book = Book();
        var change = Move(book, "BTQ-2", Sourced("BTQ-2", FulfilmentMode.Pickup, 2));

        Assert.Equal("BTQ-2", book.Request!.Delivery.PickupLocationId);
        Assert.Equal(FulfilmentStatus.Cancelled, book.Find("F1")!.Status);
        var f2 = book.Find("F2")!;
        Assert.Equal((FulfilmentMode.Pickup, "BTQ-2", "BTQ-2", FulfilmentStatus.Requested), (f2.Mode, f2.LocationId, f2.PickupLocationId, f2.Status));
        Assert.Equal([new StockStep("BTQ", "BAG", "1", 0), new StockStep("BTQ-2", "BAG", "1", 2)], change.Steps);
        Assert.Equal(new LineUnits("1", 2, 0, 0, 0, 0, 0), book.UnitsOf("1"));
        Assert.Equal([EventTypes.OrderPickupLocationChanged, EventTypes.FulfilmentCancelled, EventTypes.FulfilmentRequested], book.Untold.Select(h => h.Type));
        var changed = book.Untold[0];
        Assert.Equal(("key:care", "pickup moved from BTQ to BTQ-2: customer moved"), (changed.Actor, changed.Details));
        Assert.Contains("\"previousLocationId\":\"BTQ\"", changed.Data);
        Assert.Equal("BTQ-2", book.Summary().Delivery!.PickupLocationId);
        Assert.Null(book.PendingPickup);
        Assert.Null(book.Tentative);
        AssertUnitsAddUp(book);
    }

    [Fact]
    public void While_tentative_a_unit_kept_at_the_same_location_is_not_allocated_twice_and_a_roll_back_restores_the_old_figures()
    {
        // A transfer from the warehouse to BTQ becomes one from the same warehouse to BTQ-2.
        var book = Book(FulfilmentMode.Transfer, quantity: 1);
        var plan = book.PlanPickupChange("BTQ-2");
        Assert.Equal(["F1"], plan.Withdrawn);
        book.ProposePickup(plan, "BTQ-2", null, [Sourced("WH", FulfilmentMode.Transfer, 1)], T0, new Dictionary<string, TimeSpan>());

        Assert.Equal(1, book.Held("1", "WH", withTentative: true));
        Assert.Equal(1, book.Held("1", "WH"));
        Assert.Equal("BTQ-2", book.Tentative!.Single().PickupLocationId);

        // Refused by the stock item (or a crash): nothing of the change is left.
        book.AbandonPickup();
        Assert.Equal("BTQ", book.Request!.Delivery.PickupLocationId);
        Assert.Equal(FulfilmentStatus.Requested, book.Find("F1")!.Status);
        Assert.Equal(1, book.Held("1", "WH", withTentative: true));

        var change = Move(book, "BTQ-2", Sourced("WH", FulfilmentMode.Transfer, 1), reason: null);
        Assert.Empty(change.Steps);
        Assert.Equal("pickup moved from BTQ to BTQ-2", book.Untold[0].Details);
        AssertUnitsAddUp(book);
    }

    [Fact]
    public void A_repeat_is_unchanged_and_a_ship_to_home_a_ready_parcel_or_a_cancelled_order_is_refused()
    {
        Assert.Equal(PickupChangeOutcome.Unchanged, Book().PlanPickupChange("BTQ").Outcome);
        Assert.Equal(PickupChangeOutcome.NotClickAndCollect, Book(FulfilmentMode.Ship, method: DeliveryMethod.ShipToHome).PlanPickupChange("BTQ").Outcome);

        var ready = Book();
        ready.Report("F1", new FulfilmentReport("e1", FulfilmentReportType.ReadyForPickup), T0, Care, TimeSpan.FromDays(7), () => "123456");
        var tooLate = ready.PlanPickupChange("BTQ-2");
        Assert.Equal(PickupChangeOutcome.TooLate, tooLate.Outcome);
        Assert.Contains("ready for pickup", tooLate.Message);

        var cancelled = Book();
        cancelled.Cancel(new CancelOrder("c1", "changed mind", null, ""), T0, Care);
        Assert.Equal(PickupChangeOutcome.NothingToPickUp, cancelled.PlanPickupChange("BTQ-2").Outcome);
    }

    [Fact]
    public void Cancelled_units_stay_cancelled_waiting_units_move_too_and_a_late_report_on_the_withdrawn_parcel_is_refused()
    {
        // Two units: one cancelled by the customer, one rejected by the warehouse and waiting for a location.
        var book = Book(FulfilmentMode.Transfer, quantity: 3);
        book.Cancel(new CancelOrder("c1", "changed mind", [new CancelLine("1", 1)], ""), T0, Care);
        book.Report("F1", new FulfilmentReport("e1", FulfilmentReportType.Rejected, [new FulfilmentLine("1", 1)], Reason: RejectionReason.NoCapacity),
            T0, Care, TimeSpan.Zero, () => "1");
        book.ResourceDue = false;
        Assert.Equal(new LineUnits("1", 1, 0, 0, 0, 1, 1), book.UnitsOf("1"));

        var plan = book.PlanPickupChange("BTQ-2");
        Assert.Equal([new FulfilmentLine("1", 2)], plan.Lines);
        book.ProposePickup(plan, "BTQ-2", null, [Sourced("BTQ-2", FulfilmentMode.Pickup, 2)], T0, new Dictionary<string, TimeSpan>());
        book.CommitPickup(T0, Care);
        Assert.Equal(new LineUnits("1", 2, 0, 0, 0, 1, 0), book.UnitsOf("1"));
        Assert.Null(book.NeedsAttention);
        AssertUnitsAddUp(book);

        // The warehouse shipped the withdrawn transfer anyway: reversing it would count its unit twice.
        var late = book.Report("F1", new FulfilmentReport("e2", FulfilmentReportType.Shipped), T0, Care, TimeSpan.Zero, () => "1");
        Assert.Equal((FulfilmentReportOutcome.Impossible, "type"), (late.Outcome, late.Field));
        AssertUnitsAddUp(book);
    }
}
