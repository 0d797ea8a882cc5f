using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Events;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Reservations;
using Oms.Contracts.Returns;
using Oms.Contracts.Stock;
using Oms.Grains.Events;
using Oms.Grains.Faults;
using Oms.Grains.Fulfilments;
using Oms.Grains.Hosting;
using Oms.Grains.Recovery;
using Oms.Grains.Sourcing;
using Orleans.Placement;

namespace Oms.Grains.Orders;

/// <summary>
/// One order. Checkout sources it, writes the plan as its intent, then allocates every slice at the stock
/// items, all or nothing; a slice refused because another checkout won re-sources on fresh availability.
/// A crash mid-checkout leaves a Pending intent that activation or the recovery watch rolls back.
/// Once allocated, the order hands its units to its fulfilment grain, which decides everything physical
/// (reports, cancellations, deadlines, re-sourcing) and tells the order; the order keeps the commercial record,
/// the timeline and the order's events.
/// </summary>
/// <remarks>Placed on the silo that received the checkout (the API's gateway), which saves a hop per checkout.</remarks>
[PreferLocalPlacement]
public sealed class OrderGrain(
    [PersistentState("order", OmsStorage.Name)] IPersistentState<OrderState> state,
    TimeProvider clock,
    EventPublisher publisher,
    IOptions<FulfilmentOptions> fulfilmentOptions,
    Diagnostics.OmsMeters meters,
    IWatchTable watches,
    ILogger<OrderGrain> logger) : Grain, IOrderGrain, IRemindable
{
    private const string RecoveryWatch = "order-recovery";
    private const int MaxAttempts = 4;

    /// <summary>Locations as of the last sourcing: which shipments use ship-from-store capacity, how long each has to accept.</summary>
    private IReadOnlyDictionary<string, LocationInfo> _locations = new Dictionary<string, LocationInfo>(StringComparer.Ordinal);

    private CheckoutSourcing _sourcing = null!;

    /// <summary>
    /// The one watch of an order covers a checkout's intent, events not yet in the feed, the hand-over, and the
    /// fulfilment until it has news; it is registered with the write that needs it (in parallel, never after), and
    /// goes when nothing is left to watch.
    /// </summary>
    private GrainWatch _watchdog = null!;

    private IGrainTimer? _handingOff;

    private OrderState S => state.State;
    private string OrderId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _sourcing = new CheckoutSourcing(GrainFactory, clock);
        var period = fulfilmentOptions.Value.WatchPeriod;
        _watchdog = new GrainWatch(this, watches, clock, RecoveryWatch, period < TimeSpan.FromSeconds(10) ? period : TimeSpan.FromSeconds(10), period);
        await Infrastructure.Guard(async () =>
        {
            if (S.Status == OrderStatus.Pending && S.Exists)
            {
                logger.LogWarning("Order {Order} found mid-checkout; rolling back", OrderId);
                await RollBack(FailureKind.Interrupted, "checkout interrupted; every allocation rolled back");
            }
            else if (S.PendingTargets is { } targets)
            {
                await FinishCancellation(targets);
            }
        }, $"Recovery of order {OrderId}");

        // Events a dead activation wrote but did not hand over; the watch retries if the feed is down too.
        await TryPublish();

        // The hand-over waits for a turn of its own: the fulfilment grain may be what activated this order, asking
        // for its placement, and would wait on this activation while this activation waited on it.
        if (!S.HandedOff && HandOff() is not null)
        {
            _handingOff = this.RegisterGrainTimer(async () =>
            {
                _handingOff?.Dispose();
                await TryHandOff();
            }, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    public async Task<PlaceOrderResult> Place(PlaceOrder request)
    {
        var fingerprint = JsonSerializer.Serialize(request, JsonGrainStateSerializer.Options);
        if (S.Exists)
        {
            if (S.RequestFingerprint != fingerprint)
            {
                return new(PlaceOrderOutcome.KeyConflict, null, [], "This order id or idempotency key was already used for a different order.");
            }

            if (S.Status == OrderStatus.Pending)
            {
                // Only reachable if a checkout's failure left its plan in this activation: what is durable
                // decides, never memory, so undo whatever the plan may have placed and try again.
                await RollBack(FailureKind.Interrupted, "checkout interrupted; every allocation rolled back");
            }

            if (S.Status == OrderStatus.Failed && S.Failure is FailureKind.Short or FailureKind.ReservationUnusable)
            {
                return Refused(S.Failure == FailureKind.Short ? PlaceOrderOutcome.Short : PlaceOrderOutcome.ReservationUnusable);
            }

            if (S.Status != OrderStatus.Failed)
            {
                // The replay of an acknowledged order; the customer index is written after the order, so a
                // failure between the two is repaired here.
                await Task.WhenAll(
                    GrainFactory.GetGrain<ICustomerGrain>(request.Customer.CustomerId).AddOrder(OrderId, S.CreatedAt, request.Channel),
                    TryPublish());
                return new(PlaceOrderOutcome.Replayed, S.View(OrderId), [], null);
            }

            // Interrupted or lost a race before: nothing is allocated, so the same request may simply try again.
        }

        var now = clock.GetUtcNow();
        S.Request = request;
        S.RequestFingerprint = fingerprint;
        S.CreatedAt = S.CreatedAt == default ? now : S.CreatedAt;
        S.Failure = FailureKind.None;
        S.Unsourced = [];
        S.Log(now, "received", $"{request.Lines.Count} lines, {JsonNamingPolicy.CamelCase.ConvertName(request.Delivery.Method.ToString())}");

        var reserved = new Dictionary<string, ReservationLine>(StringComparer.Ordinal);
        string? reservationHold = null;
        if (request.ReservationId is { } reservationId)
        {
            var reservation = await GrainFactory.GetGrain<IReservationGrain>(reservationId).Consume(OrderId, request.Customer.CustomerId);
            if (reservation is null)
            {
                S.Unsourced = [];
                return await Fail(FailureKind.ReservationUnusable, PlaceOrderOutcome.ReservationUnusable, CheckoutSourcing.ReservationUnusable(reservationId));
            }

            reservationHold = reservation.HoldKey ?? reservationId;
            foreach (var line in reservation.Lines)
            {
                reserved[line.Sku] = line;
            }

            S.Log(clock.GetUtcNow(), "reservationConsumed", reservationId);
        }

        if (!S.HoldsVerified && await _sourcing.UnusableHold(request) is { } unusable)
        {
            // Named as the unsourced line, so the refusal can point at the field to fix.
            S.Unsourced = [unusable.Line];
            return await Fail(FailureKind.ReservationUnusable, PlaceOrderOutcome.ReservationUnusable, unusable.Message);
        }

        CheckoutSourcing.PinHolds(request, reserved);

        S.HoldsVerified = true;
        var excluded = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var sourced = await _sourcing.Source(request, reserved, excluded);
            var (plan, locations) = sourced;
            _locations = locations;
            if (!plan.Complete)
            {
                S.Unsourced = [.. plan.Unsourced];
                var refused = await Fail(FailureKind.Short, PlaceOrderOutcome.Short, "Stock could not be found for every line; nothing is allocated.");
                // Once the refusal is durable: its replay answers from the state and counts nothing.
                meters.Short(Diagnostics.SourcingTrigger.Checkout, request.Delivery.Method);
                return refused;
            }

            S.Status = OrderStatus.Pending;
            S.Fulfilments = [.. plan.Fulfilments];
            S.Promises = sourced.Promises.Count > 0 ? new(sourced.Promises, StringComparer.Ordinal) : null;
            S.Slices = [.. Slices(request, plan, reserved, reservationHold)];
            S.ShipSlots = [.. plan.Fulfilments.Where(f => f.Mode == FulfilmentMode.Ship && IsBoutique(f.LocationId)).Select(f => f.LocationId).Distinct()];

            // The intent and its watchdog are durable before any unit moves, so a crash at any later point is undone.
            await Task.WhenAll(state.WriteStateAsync(), Watch());

            var full = await TakeShipSlots();
            if (full is not null)
            {
                excluded[full] = "ship-from-store capacity used up today";
                await Undo();
                continue;
            }

            if (await AllocateAll())
            {
                var allocatedAt = clock.GetUtcNow();
                S.Status = OrderStatus.Allocated;
                S.AllocatedAt = allocatedAt;
                S.AcceptBy = S.Fulfilments.ToDictionary(f => f.FulfilmentId,
                    f => allocatedAt + fulfilmentOptions.Value.AcceptWithin(_locations.GetValueOrDefault(f.LocationId)), StringComparer.Ordinal);
                S.Log(allocatedAt, "allocated",
                    string.Join("; ", S.Fulfilments.Select(f => $"{f.FulfilmentId} {f.Mode} from {f.LocationId}")));

                // The fulfilment grain opens from the same hand-off, so what the order shows now is what it will say.
                S.Tracked = FulfilmentBook.Open(OrderId, HandOff()!, S.AcceptBy).Summary();
                var placed = S.View(OrderId);
                S.Events.Raise(EventTypes.OrderPlaced, Subject, new { order = placed }, allocatedAt);
                foreach (var f in placed.Fulfilments)
                {
                    S.Events.Raise(EventTypes.FulfilmentRequested, Subject, new { orderId = OrderId, fulfilment = f, lines = f.Lines, order = placed }, allocatedAt);
                }

                // The recovery watch, still registered from the intent, stays: it watches the events and the
                // hand-over, and until the fulfilment grain has news of its own (which brings its own watch), it
                // is what wakes that grain after a crash, so the acceptance deadlines hold. Checkout pays no second watch
                // write for any of it.
                await state.WriteStateAsync();
                meters.Sourced(Diagnostics.SourcingTrigger.Checkout, request.Delivery.Method, S.Fulfilments, _locations);
                await Task.WhenAll(
                    TryPublish(),
                    TryHandOff(),
                    GrainFactory.GetGrain<ICustomerGrain>(request.Customer.CustomerId).AddOrder(OrderId, S.CreatedAt, request.Channel));
                return new(PlaceOrderOutcome.Created, S.View(OrderId), [], null);
            }

            // Someone else took units the views still showed: put ours back and source again on fresher figures.
            await Undo();
            S.Log(clock.GetUtcNow(), "resourcing", $"attempt {attempt} lost a race for stock");
            await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt));
        }

        return await Fail(FailureKind.Contended, PlaceOrderOutcome.Contended, "Other checkouts kept taking the same units; nothing is allocated. Retry.");
    }

    /// <summary>Only an order whose outcome is durable exists for a reader; a plan being placed is not an order yet.</summary>
    public Task<OrderView?> Get() =>
        Task.FromResult(S.Exists && S.Status is not (OrderStatus.Failed or OrderStatus.Pending) ? S.View(OrderId) : null);

    public Task<FulfilmentHandOff?> Placement() => Task.FromResult(HandOff());

    public async Task<OrderView?> Track(FulfilmentSummary summary)
    {
        if (!S.Exists || S.Status is OrderStatus.Failed or OrderStatus.Pending)
        {
            return null;
        }

        if (summary.Version <= (S.Tracked?.Version ?? 0))
        {
            return S.View(OrderId);
        }

        var was = S.Derive();
        var fresh = summary.Happenings.Where(h => h.Version > (S.Tracked?.Version ?? 0)).ToList();
        S.Tracked = summary with { Happenings = [] };
        S.HandedOff = true;

        // The location hears of a cancellation through its event; the order's own entry already says it.
        Record(fresh, h => h.Type != EventTypes.FulfilmentCancelled);
        if (S.Derive() == OrderStatus.Completed && was != OrderStatus.Completed)
        {
            var at = fresh.LastOrDefault()?.At ?? clock.GetUtcNow();
            S.Timeline.Add(new TimelineEvent(at, "completed", "system", "every unit delivered or collected"));
            S.Events.Raise(EventTypes.OrderCompleted, Subject, new { order = S.View(OrderId) }, at);
        }

        await Persist();
        return S.View(OrderId);
    }

    public async Task Aftercare(AftercareSummary summary)
    {
        if (!S.Exists || S.Status is OrderStatus.Failed or OrderStatus.Pending || summary.Version <= (S.Aftercare?.Version ?? 0))
        {
            return;
        }

        var fresh = summary.Happenings.Where(h => h.Version > (S.Aftercare?.Version ?? 0)).ToList();
        S.Aftercare = summary with { Happenings = [] };
        Record(fresh, _ => true);
        await Persist();
    }

    /// <summary>Puts news from the order's rooms on its timeline and raises its events, each with the order as it now stands.</summary>
    private void Record(IReadOnlyList<FulfilmentHappening> fresh, Func<FulfilmentHappening, bool> onTimeline)
    {
        var view = S.View(OrderId);
        foreach (var h in fresh)
        {
            if (onTimeline(h))
            {
                S.Timeline.Add(new TimelineEvent(h.At, TimelineType(h.Type), h.Actor, h.Details, h.ActorName));
            }

            var data = JsonNode.Parse(h.Data)!.AsObject();
            data["order"] = JsonSerializer.SerializeToNode(view, EventJson.Options);
            S.Events.Raise(h.Type, Subject, data, h.At);
        }
    }

    /// <summary>
    /// No watchdog of its own: if this silo dies before the events are in the feed, the room's call fails and is
    /// retried, and this order's next activation publishes what it wrote.
    /// </summary>
    private async Task Persist()
    {
        await state.WriteStateAsync();
        if (!await TryPublish())
        {
            await Watch();
        }
    }

    private static string TimelineType(string eventType) => eventType switch
    {
        EventTypes.OrderCancelled or EventTypes.OrderLinesCancelled => "cancelled",
        _ when eventType.StartsWith("order.", StringComparison.Ordinal) => eventType["order.".Length..],
        _ => eventType,
    };

    public async Task<OrderView?> AddNote(string text, string? author)
    {
        if (!S.Exists || S.Status is OrderStatus.Failed or OrderStatus.Pending)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        S.Log(now, "note", text, author);
        var note = S.Timeline[^1];
        S.Events.Raise(EventTypes.OrderNoteAdded, Subject, new
        {
            note = new { at = note.At, text, author, actor = note.Actor, actorName = note.ActorName },
            order = S.View(OrderId),
        }, now);
        await Task.WhenAll(state.WriteStateAsync(), Watch());
        await TryPublish();
        return S.View(OrderId);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != RecoveryWatch)
        {
            return;
        }

        if (S.Status == OrderStatus.Pending)
        {
            await RollBack(FailureKind.Interrupted, "checkout interrupted; every allocation rolled back");
        }

        var done = await Task.WhenAll(TryPublish(), TryHandOff());
        var fulfilmentSilent = HandOff() is not null && (S.Tracked?.Version ?? 0) <= 1;
        if (fulfilmentSilent)
        {
            // One-way: the fulfilment grain may tell this order something, and must not find it waiting.
            await GrainFactory.GetGrain<IFulfilmentGrain>(OrderId).Wake();
        }
        else if (done.All(d => d) && S.PendingTargets is null)
        {
            await StopWatching();
        }
    }

    /// <summary>What the fulfilment grain starts from; null before the order is allocated.</summary>
    private FulfilmentHandOff? HandOff() =>
        !S.Exists || S.Status is OrderStatus.Pending or OrderStatus.Failed ? null : new FulfilmentHandOff(
            S.Request!, S.Fulfilments,
            [.. S.Slices.Select(x => new LineAllocationAt(x.LineId, x.Sku, x.LocationId, x.Quantity))],
            S.Cancelled, S.ShipSlots, S.AllocatedAt ?? S.CreatedAt, S.AcceptBy, S.Cancellations.Count > 0 ? S.Cancellations : null, S.Promises);

    /// <summary>Gives the fulfilment grain the order (idempotent there); false leaves it to the watch.</summary>
    private async Task<bool> TryHandOff()
    {
        if (S.HandedOff || HandOff() is not { } handOff)
        {
            return true;
        }

        try
        {
            await GrainFactory.GetGrain<IFulfilmentGrain>(OrderId).Open(handOff);
            S.HandedOff = true;
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Order {Order} not yet handed to its fulfilment; the watch retries", OrderId);
            await Watch();
            return false;
        }
    }

    private IEnumerable<AllocationSlice> Slices(PlaceOrder request, SourcingResult plan, Dictionary<string, ReservationLine> reserved, string? reservationHold) =>
        plan.Fulfilments.SelectMany(f => f.Lines.Select(l =>
        {
            var line = request.Lines.First(x => x.LineId == l.LineId);
            var fromHold = !f.FulfilmentId.StartsWith('R') ? null
                : line.Hold is { } hold ? Ids.StockHoldReference(hold.HoldId)
                : reservationHold;
            return new AllocationSlice(l.LineId, line.Sku, f.LocationId, l.Quantity, fromHold);
        }));

    /// <summary>In one global order (by stock item key), for the same reason reservations are: racing baskets
    /// then finish whole instead of splitting scarce stock between them.</summary>
    private async Task<bool> AllocateAll()
    {
        // A stock item that fails (rather than refuses) decided nothing: that is not a lost race, so it is not
        // re-sourced around. The failure goes up as "unavailable", the durable Pending intent is rolled back
        // by the next activation or the recovery watch, and the client's retry checks out afresh.
        foreach (var slice in S.Slices.OrderBy(s => Ids.StockItemKey(s.LocationId, s.Sku), StringComparer.Ordinal))
        {
            var result = await StockItem(slice).SetAllocation(AllocationSlice.Key(OrderId, slice.LineId), slice.Quantity, slice.FromReservationId);
            if (result.Outcome != AllocationOutcome.Allocated)
            {
                return false;
            }
        }

        return true;
    }

    /// <returns>The boutique whose capacity is used up, or null when every ship-from-store slot was taken.</returns>
    private async Task<string?> TakeShipSlots()
    {
        foreach (var boutique in S.ShipSlots)
        {
            if (!await GrainFactory.GetGrain<ILocationGrain>(boutique).TryAssignShipment(OrderId))
            {
                return boutique;
            }
        }

        return null;
    }

    /// <summary>Sets every planned slice back to zero (idempotent at the stock item) and frees the ship slots.</summary>
    private async Task Undo()
    {
        await Task.WhenAll(S.Slices.Select(slice => StockItem(slice).SetAllocation(AllocationSlice.Key(OrderId, slice.LineId), 0, null)));
        await Task.WhenAll(S.ShipSlots.Select(b => GrainFactory.GetGrain<ILocationGrain>(b).ReleaseShipment(OrderId)));
    }

    private async Task RollBack(FailureKind failure, string details)
    {
        await Undo();
        S.Status = OrderStatus.Failed;
        S.Failure = failure;
        S.Log(clock.GetUtcNow(), "rolledBack", details);
        await state.WriteStateAsync();
        await StopWatching();
    }

    private async Task<PlaceOrderResult> Fail(FailureKind failure, PlaceOrderOutcome outcome, string message)
    {
        if (S.Status == OrderStatus.Pending)
        {
            await Undo();
        }

        S.Status = OrderStatus.Failed;
        S.Failure = failure;
        S.Slices = [];
        S.Log(clock.GetUtcNow(), "refused", message);
        await state.WriteStateAsync();
        await StopWatching();
        return Refused(outcome, message);
    }

    private PlaceOrderResult Refused(PlaceOrderOutcome outcome, string? message = null) =>
        new(outcome, null, S.Unsourced, message ?? S.Timeline.LastOrDefault(t => t.Type == "refused")?.Details);

    private async Task FinishCancellation(List<AllocationSlice> targets)
    {
        await Task.WhenAll(targets.Select(t => StockItem(t).SetAllocation(AllocationSlice.Key(OrderId, t.LineId), t.Quantity, null)));
        var freed = S.ShipSlots.Where(b => targets.Where(t => t.LocationId == b).Sum(t => t.Quantity) == 0).ToList();
        await Task.WhenAll(freed.Select(b => GrainFactory.GetGrain<ILocationGrain>(b).ReleaseShipment(OrderId)));
        S.Slices = targets;
        S.ShipSlots = [.. S.ShipSlots.Except(freed)];
        S.PendingTargets = null;
        await state.WriteStateAsync();
    }

    private IStockItemGrain StockItem(AllocationSlice slice) =>
        GrainFactory.GetGrain<IStockItemGrain>(Ids.StockItemKey(slice.LocationId, slice.Sku));

    private bool IsBoutique(string locationId) => _locations.GetValueOrDefault(locationId)?.Type == LocationType.Boutique;

    private Task StopWatching() => _watchdog.Stop();

    private Task Watch() => _watchdog.Watch();

    private string Subject => Subjects.Order(OrderId);

    private Task<bool> TryPublish() => publisher.TryDrain(S.Events, logger, $"Order {OrderId}");
}
