using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Grains.Fulfilments;

namespace Oms.Tests.Fulfilment;

/// <summary>
/// The fulfilment state machine as a table of every (status, step) pair, per mode. A cell is <c>x</c> (impossible:
/// a 409 naming the current status), <c>.</c> (already past: acknowledged, nothing changes), <c>=status</c>
/// (applied, to that status) or <c>!status</c> (a physical fact that reverses a cancellation). A shipped parcel is
/// not cancellable here: the book turns such a cancel into a carrier intercept, outside the state machine.
/// </summary>
public sealed class FulfilmentLifecycleTests
{
    private static readonly FulfilmentStep[] Columns =
    [
        FulfilmentStep.Accept, FulfilmentStep.Reject, FulfilmentStep.Pack, FulfilmentStep.Ship, FulfilmentStep.Deliver, FulfilmentStep.Receive,
        FulfilmentStep.ReadyForPickup, FulfilmentStep.Collect, FulfilmentStep.Expire, FulfilmentStep.TimeOut, FulfilmentStep.Cancel,
    ];

    //                         accept     reject     pack     ship      deliver     receive    ready            collect     expire    timeout    cancel
    private const string Ship = """
        requested      =accepted  =rejected  =packed  =shipped  =delivered  x          x                x           x         =rejected  =cancelled
        accepted       .          =rejected  =packed  =shipped  =delivered  x          x                x           x         .          =cancelled
        packed         .          =rejected  .        =shipped  =delivered  x          x                x           x         .          =cancelled
        shipped        .          x          .        .         =delivered  x          x                x           x         .          x
        delivered      .          x          .        .         .           x          x                x           x         .          x
        received       x          x          x        x         x           x          x                x           x         x          x
        readyForPickup x          x          x        x         x           x          x                x           x         x          x
        collected      x          x          x        x         x           x          x                x           x         x          x
        expired        x          x          x        x         x           x          x                x           x         x          x
        rejected       x          .          x        x         x           x          x                x           x         .          x
        cancelled      x          x          x        !shipped  !delivered  x          x                x           x         .          .
        onHold         x          x          x        x         x           x          x                x           x         .          =cancelled
        """;

    private const string Pickup = """
        requested      =accepted  =rejected  x        x         x           x          =readyForPickup  x           .         =rejected  =cancelled
        accepted       .          =rejected  x        x         x           x          =readyForPickup  x           .         .          =cancelled
        packed         x          x          x        x         x           x          x                x           x         x          x
        shipped        x          x          x        x         x           x          x                x           x         x          x
        delivered      x          x          x        x         x           x          x                x           x         x          x
        received       x          x          x        x         x           x          x                x           x         x          x
        readyForPickup .          x          x        x         x           x          .                =collected  =expired  .          =cancelled
        collected      .          x          x        x         x           x          .                .           .         .          x
        expired        x          x          x        x         x           x          x                x           .         .          x
        rejected       x          .          x        x         x           x          x                x           .         .          x
        cancelled      x          x          x        x         x           x          x                !collected  .         .          .
        onHold         x          x          x        x         x           x          x                x           .         .          =cancelled
        """;

    private const string Transfer = """
        requested      =accepted  =rejected  =packed  =shipped  x           =received  =readyForPickup  x           .         =rejected  =cancelled
        accepted       .          =rejected  =packed  =shipped  x           =received  =readyForPickup  x           .         .          =cancelled
        packed         .          =rejected  .        =shipped  x           =received  =readyForPickup  x           .         .          =cancelled
        shipped        .          x          .        .         x           =received  =readyForPickup  x           .         .          =cancelled
        delivered      x          x          x        x         x           x          x                x           x         x          x
        received       .          x          .        .         x           .          =readyForPickup  x           .         .          =cancelled
        readyForPickup .          x          .        .         x           .          .                =collected  =expired  .          =cancelled
        collected      .          x          .        .         x           .          .                .           .         .          x
        expired        x          x          x        x         x           x          x                x           .         .          x
        rejected       x          .          x        x         x           x          x                x           .         .          x
        cancelled      x          x          x        !shipped  x           !received  x                !collected  .         .          .
        onHold         x          x          x        x         x           x          x                x           .         .          =cancelled
        """;

    public static TheoryData<FulfilmentMode, FulfilmentStatus, FulfilmentStep, string> Cells()
    {
        var data = new TheoryData<FulfilmentMode, FulfilmentStatus, FulfilmentStep, string>();
        foreach (var (mode, table) in new[] { (FulfilmentMode.Ship, Ship), (FulfilmentMode.Pickup, Pickup), (FulfilmentMode.Transfer, Transfer) })
        {
            var rows = table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(Enum.GetValues<FulfilmentStatus>().Length, rows.Length);
            foreach (var row in rows)
            {
                var cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(Columns.Length + 1, cells.Length);
                var status = Enum.Parse<FulfilmentStatus>(cells[0], ignoreCase: true);
                for (var c = 0; c < Columns.Length; c++)
                {
                    data.Add(mode, status, Columns[c], cells[c + 1]);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Every_status_and_step_of_every_mode_decides_as_the_table_says(FulfilmentMode mode, FulfilmentStatus status, FulfilmentStep step, string expected)
    {
        var decision = FulfilmentLifecycle.Decide(mode, status, step);
        var actual = decision.Outcome switch
        {
            StepOutcome.Impossible => "x",
            StepOutcome.AlreadyPast => ".",
            StepOutcome.Applied => "=" + FulfilmentLifecycle.Name(decision.To),
            _ => "!" + FulfilmentLifecycle.Name(decision.To),
        };
        Assert.Equal(expected, actual);
        Assert.Equal(status, decision.From);
        if (decision.Outcome == StepOutcome.Impossible)
        {
            Assert.False(string.IsNullOrWhiteSpace(decision.Reason), "an impossible step says why");
        }

        if (decision.Outcome is StepOutcome.Applied or StepOutcome.CancellationReversed)
        {
            Assert.Equal(decision.To, decision.Entered[^1]);
        }
        else
        {
            Assert.Empty(decision.Entered);
            Assert.Equal(status, decision.To);
        }
    }

    [Fact]
    public void A_report_that_skips_steps_enters_each_one_between_in_order()
    {
        Assert.Equal([FulfilmentStatus.Accepted, FulfilmentStatus.Packed, FulfilmentStatus.Shipped],
            FulfilmentLifecycle.Decide(FulfilmentMode.Ship, FulfilmentStatus.Requested, FulfilmentStep.Ship).Entered);
        Assert.Equal([FulfilmentStatus.Received, FulfilmentStatus.ReadyForPickup],
            FulfilmentLifecycle.Decide(FulfilmentMode.Transfer, FulfilmentStatus.Shipped, FulfilmentStep.ReadyForPickup).Entered);
        Assert.Equal([FulfilmentStatus.Accepted, FulfilmentStatus.ReadyForPickup],
            FulfilmentLifecycle.Decide(FulfilmentMode.Pickup, FulfilmentStatus.Requested, FulfilmentStep.ReadyForPickup).Entered);
    }

    [Fact]
    public void Reversing_a_cancellation_enters_only_what_happened_after_the_units_were_cancelled()
    {
        // Cancelled once the transfer had reached the boutique: the collection does not ship or receive it again.
        Assert.Equal([FulfilmentStatus.ReadyForPickup, FulfilmentStatus.Collected],
            FulfilmentLifecycle.Decide(FulfilmentMode.Transfer, FulfilmentStatus.Cancelled, FulfilmentStep.Collect, FulfilmentStatus.Received).Entered);
        Assert.Equal([FulfilmentStatus.Shipped],
            FulfilmentLifecycle.Decide(FulfilmentMode.Ship, FulfilmentStatus.Cancelled, FulfilmentStep.Ship, FulfilmentStatus.Packed).Entered);

        // A fact the units had already passed when they were cancelled is no reason to reverse anything.
        Assert.Equal(StepOutcome.Impossible,
            FulfilmentLifecycle.Decide(FulfilmentMode.Transfer, FulfilmentStatus.Cancelled, FulfilmentStep.Ship, FulfilmentStatus.Received).Outcome);
    }

    [Theory]
    [InlineData(FulfilmentMode.Ship, FulfilmentStatus.Packed, true)]
    [InlineData(FulfilmentMode.Ship, FulfilmentStatus.Shipped, false)]
    [InlineData(FulfilmentMode.Transfer, FulfilmentStatus.Shipped, true)]
    [InlineData(FulfilmentMode.Transfer, FulfilmentStatus.ReadyForPickup, true)]
    [InlineData(FulfilmentMode.Pickup, FulfilmentStatus.ReadyForPickup, true)]
    [InlineData(FulfilmentMode.Pickup, FulfilmentStatus.Collected, false)]
    [InlineData(FulfilmentMode.Pickup, FulfilmentStatus.Expired, false)]
    public void A_customer_may_cancel_until_the_units_ship_or_for_a_pickup_until_they_are_collected(FulfilmentMode mode, FulfilmentStatus status, bool cancellable) =>
        Assert.Equal(cancellable, FulfilmentLifecycle.IsCancellable(mode, status));
}
