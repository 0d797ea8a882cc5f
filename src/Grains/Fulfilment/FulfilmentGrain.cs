using System.Text.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Reservations;
using Oms.Contracts.Returns;
using Oms.Contracts.Security;
using Oms.Contracts.Stock;
using Oms.Grains.Hosting;
using Oms.Grains.Recovery;
using Oms.Grains.Orders;
using Orleans.Placement;

namespace Oms.Grains.Fulfilments;

/// <summary>
/// The fulfilment of one order, keyed by order id. It owns the order's units once checkout has allocated them:
/// every report, cancellation, deadline and re-sourcing is decided here, one at a time, so a cancellation and a
/// shipment of the same units can never both win. Each change is written with the stock work it calls for
/// before that work is done (a crash replays it); the order and the locations' work queues are then told, and
/// told again by the watch until they have heard.
/// </summary>
/// <remarks>Its order opens it at checkout, so it is placed beside the order.</remarks>
[PreferLocalPlacement]
public sealed class FulfilmentGrain(
    [PersistentState("fulfilment", OmsStorage.Name)] IPersistentState<FulfilmentBook> state,
    TimeProvider clock,
    IOptions<FulfilmentOptions> options,
    Diagnostics.OmsMeters meters,
    IWatchTable watches,
    ILogger<FulfilmentGrain> logger) : Grain, IFulfilmentGrain, IRemindable
{
    private const string WatchName = "fulfilment-watch";
    private const int MaxResourceAttempts = 3;

    private Task<bool>? _opening;
    private IGrainTimer? _deadlineTimer;
    private IGrainTimer? _recovery;
    private GrainWatch _watchdog = null!;

    private FulfilmentBook S => state.State;
    private string OrderId => this.GetPrimaryKeyString();
    private FulfilmentOptions Options => options.Value;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _watchdog = new GrainWatch(this, watches, clock, WatchName, Options.WatchPeriod, Options.WatchPeriod);
        if (!S.Exists)
        {
            return;
        }

        // Stock work a dead activation recorded is finished before any new change can be decided on top of it.
        await FinishStockWork();

        // The rest may call the order, which may itself be activating and waiting on this grain: it runs in a turn
        // of its own once activation is done, never inside it.
        _recovery = this.RegisterGrainTimer(async () =>
        {
            _recovery?.Dispose();
            await Recover();
        }, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    public Task Open(FulfilmentHandOff handOff) => EnsureOpened(handOff);

    public async Task<FulfilmentReportResult> Report(string fulfilmentId, FulfilmentReport report, IReadOnlyList<string>? locations)
    {
        if (!await EnsureOpened(null))
        {
            return new(FulfilmentReportOutcome.NotFound, null, $"Order '{OrderId}' does not exist.", "orderId");
        }

        var f = S.Find(fulfilmentId);
        if (f is not null && locations is not null && !MayReport(f, report.Type, locations))
        {
            return new(FulfilmentReportOutcome.Forbidden, null, $"This credential does not act for {f.LocationId}, the fulfilment's location.", "location");
        }

        var hold = report.Type == FulfilmentReportType.ReadyForPickup && f?.CounterLocation is { } counter
            ? Options.HoldForPickup(await GrainFactory.GetGrain<ILocationGrain>(counter).Get())
            : TimeSpan.Zero;
        var change = S.Report(fulfilmentId, report, clock.GetUtcNow(), Doer, hold, NewPickupCode);
        switch (change.Outcome)
        {
            case FulfilmentReportOutcome.Replayed:
                // A retry is often a client's answer to a failure after the change was written, perhaps before the
                // order heard of it (and before a watch could be registered): the retry tells it, as a cancel's does.
                await Tell();
                return new(change.Outcome, change.Target?.View());
            case FulfilmentReportOutcome.Applied or FulfilmentReportOutcome.AlreadyPast:
                await Commit(change);
                return new(change.Outcome, change.Target!.View());
            case FulfilmentReportOutcome.WrongPickupCode:
                // Refused, yet counted: the count (and a new code after too many) must outlive the activation.
                await Commit(change);
                return new(change.Outcome, null, change.Message, change.Field, change.Target?.Status);
            default:
                return new(change.Outcome, change.Target?.View(), change.Message, change.Field, change.Target?.Status);
        }
    }

    public async Task<CancelResult> Cancel(CancelOrder request)
    {
        if (!await EnsureOpened(null))
        {
            return new(CancelOutcome.NotFound, null, $"Order '{OrderId}' does not exist.", "orderId");
        }

        var (change, outcome) = S.Cancel(request, clock.GetUtcNow(), Doer);
        if (outcome == CancelOutcome.Cancelled)
        {
            await Commit(change);
        }
        else if (outcome == CancelOutcome.Replayed)
        {
            await Tell();
        }

        var view = outcome is CancelOutcome.Cancelled or CancelOutcome.Replayed or CancelOutcome.NotCancellable
            ? await Order.Get()
            : null;
        return new(outcome, view, change.Message, change.Field);
    }

    public async Task<ResourceResult> Resource()
    {
        if (!await EnsureOpened(null))
        {
            return new(ResourceOutcome.NotFound, null, $"Order '{OrderId}' does not exist.");
        }

        if (S.Waiting().Count == 0)
        {
            return new(ResourceOutcome.NothingToResource, await Order.Get(), "No line of this order is waiting for a location.");
        }

        var outcome = await ResourceWaiting();
        await Tell();
        return new(outcome, await Order.Get(), outcome == ResourceOutcome.Resourced ? null : S.NeedsAttention);
    }

    public async Task<PickupChangeResult> ChangePickup(ChangePickup request)
    {
        if (!await EnsureOpened(null))
        {
            return new(PickupChangeOutcome.NotFound, null, $"Order '{OrderId}' does not exist.");
        }

        var plan = S.PlanPickupChange(request.LocationId);
        if (plan.Outcome != PickupChangeOutcome.Changed)
        {
            if (plan.Outcome == PickupChangeOutcome.Unchanged)
            {
                // A repeat is often a client's answer to a failure after the change was written: tell the order, as a replayed cancel does.
                await Tell();
            }

            return new(plan.Outcome, await Order.Get(), plan.Message);
        }

        // Sourced exactly as a checkout for the new boutique would be, counting the units this order holds as its
        // own to use again; the locations that rejected a line are still not asked.
        var lines = plan.Lines.Select(l => S.Line(l.LineId) with { Quantity = l.Quantity, Hold = null }).ToList();
        var there = S.Request! with { ReservationId = null, Lines = lines, Delivery = S.Request.Delivery with { PickupLocationId = request.LocationId } };
        var own = S.HeldMap().Where(h => h.Value > 0).Select(h => new LineAllocationAt(h.Key.LineId, S.Line(h.Key.LineId).Sku, h.Key.LocationId, h.Value)).ToList();
        var (sourced, locations) = await new CheckoutSourcing(GrainFactory, clock).Source(there, new Dictionary<string, ReservationLine>(), S.Excluded(plan.Lines), own);
        if (!sourced.Complete)
        {
            return new(PickupChangeOutcome.NoStock, await Order.Get(), $"{request.LocationId} cannot be served: " +
                (sourced.Unsourced.Count == 0 ? "no location can supply it." : string.Join("; ", sourced.Unsourced.Select(u => $"line {u.LineId}: {u.Reason} (requested {u.Requested}, available {u.Available})"))));
        }

        // The intent is durable before any unit is allocated: a crash rolls the new allocations back, and the old ones
        // were never touched. Only once every new unit is held are the old ones released, through Commit's written steps.
        var now = clock.GetUtcNow();
        var proposed = S.ProposePickup(plan, request.LocationId, request.Reason, sourced.Fulfilments, now,
            sourced.Fulfilments.Select(f => f.LocationId).Distinct().ToDictionary(l => l, l => Options.AcceptWithin(locations.GetValueOrDefault(l))));
        await Task.WhenAll(state.WriteStateAsync(), Watch());
        bool placed;
        try
        {
            (placed, _, _) = await Place(proposed, locations);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A stock item failed mid-way: the next activation rolls the written intent back before deciding anything,
            // which this one, holding half-made allocations in memory, must not do.
            DeactivateOnIdle();
            throw;
        }

        if (!placed)
        {
            S.AbandonPickup();
            await state.WriteStateAsync();
            return new(PickupChangeOutcome.Contended, await Order.Get(), $"Other orders took the units {request.LocationId} would be served from; nothing changed. Retry.");
        }

        await Commit(S.CommitPickup(now, Doer));
        return new(PickupChangeOutcome.Changed, await Order.Get());
    }

    public Task<FulfilmentView?> Get(string fulfilmentId) => Task.FromResult(S.Find(fulfilmentId)?.View());

    public async Task<AftercareFacts?> Aftercare() => await EnsureOpened(null) ? S.Aftercare() : null;

    public async Task Instruct(AftercareInstructions instructions)
    {
        if (!await EnsureOpened(null))
        {
            return;
        }

        var now = clock.GetUtcNow();
        var back = S.InterceptsReturned(instructions.InterceptsReturned, now);
        var acceptWithin = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        // Only a release starts an acceptance clock, so only then are the locations' profiles needed.
        var held = instructions.ExchangesReleased.Count > 0 ? S.Fulfilments.Where(f => f.Status == FulfilmentStatus.OnHold) : [];
        foreach (var f in held)
        {
            acceptWithin[f.LocationId] = Options.AcceptWithin(await GrainFactory.GetGrain<ILocationGrain>(f.LocationId).Get());
        }

        var settled = S.Settle(instructions.ExchangesReleased, instructions.ExchangesDropped, now, l => acceptWithin.GetValueOrDefault(l, Options.AcceptWithin(null)));
        if (back.Outcome == FulfilmentReportOutcome.Applied || settled.Outcome == FulfilmentReportOutcome.Applied)
        {
            await Commit(new BookChange(FulfilmentReportOutcome.Applied, null, [.. back.Steps, .. settled.Steps], []));
        }
        else
        {
            // Already done: the returns grain asks again only because it has not heard, so tell it.
            S.ToldReturns = null;
            await Tell();
        }
    }

    public async Task<ExchangeResult> Exchange(CreateExchange request)
    {
        if (!await EnsureOpened(null))
        {
            return new(ExchangeOutcome.NotFound, null, "orderId", null, $"Order '{OrderId}' does not exist.");
        }

        await WithdrawAbandoned();
        var fingerprint = JsonSerializer.Serialize(request, JsonGrainStateSerializer.Options);
        if (S.Exchanges.FirstOrDefault(x => x.Key == request.Key) is { } known)
        {
            return known.Fingerprint == fingerprint
                ? new(ExchangeOutcome.Replayed, S.View(known))
                : new(ExchangeOutcome.KeyConflict, null, "Idempotency-Key", null, "This idempotency key was already used for a different exchange.");
        }

        var now = clock.GetUtcNow();
        if (S.StartExchange(request, fingerprint, now) is { } invalid)
        {
            return new(ExchangeOutcome.Invalid, null, invalid.Field, null, invalid.Message);
        }

        var exchange = S.PendingExchange!;
        var replacement = exchange.Lines.Select(l => S.Line(l.NewLineId)).ToList();
        var sourced = await new CheckoutSourcing(GrainFactory, clock).Source(S.Request! with { ReservationId = null, Lines = replacement },
            new Dictionary<string, ReservationLine>(), new Dictionary<string, string>(StringComparer.Ordinal));
        var (plan, locations) = sourced;
        if (!plan.Complete)
        {
            S.AbandonExchange();
            var shortLine = plan.Unsourced.FirstOrDefault();
            var index = shortLine is null ? 0 : exchange.Lines.FindIndex(l => l.NewLineId == shortLine.LineId);
            return new(ExchangeOutcome.NoStock, null, $"lines[{Math.Max(0, index)}].newSku", null,
                shortLine is null ? "No location can supply the replacement." : $"{exchange.Lines[Math.Max(0, index)].NewSku}: {shortLine.Reason} (requested {shortLine.Requested}, available {shortLine.Available})");
        }

        // The intent is durable before any unit is allocated: a crash rolls the allocation back and lets go of the return.
        var proposed = S.Propose(plan.Fulfilments, now,
            plan.Fulfilments.Select(f => f.LocationId).Distinct().ToDictionary(l => l, l => Options.AcceptWithin(locations.GetValueOrDefault(l))),
            promises: sourced.Promises);
        await Task.WhenAll(state.WriteStateAsync(), Watch());
        var (placed, _, taken) = await Place(proposed, locations);
        if (!placed)
        {
            S.AbandonExchange();
            await state.WriteStateAsync();
            return new(ExchangeOutcome.NoStock, null, "lines[0].newSku", null, "Other orders took the replacement's units; nothing was created. Retry.");
        }

        var held = await GrainFactory.GetGrain<IReturnsGrain>(OrderId).AuthoriseExchange(new ExchangeReturn(
            request.Key, exchange.Id, request.Mode, [.. request.Lines.Select(l => new ReturnLineRequest(l.LineId, l.Quantity, l.Reason))],
            request.Method, request.LocationId, replacement), S.Aftercare());
        if (held.Outcome is not (ReturnOutcome.Authorised or ReturnOutcome.Replayed))
        {
            await Unplace(proposed, taken);
            S.AbandonExchange();
            await state.WriteStateAsync();
            return new(held.Outcome == ReturnOutcome.KeyConflict ? ExchangeOutcome.KeyConflict : held.Outcome == ReturnOutcome.Refused ? ExchangeOutcome.Refused : ExchangeOutcome.Invalid,
                null, held.Field, held.Rule, held.Message);
        }

        S.CommitExchange(now, Doer, held.Return!.ReturnId);
        await Commit(new BookChange(FulfilmentReportOutcome.Applied, null, [], []));
        return new(ExchangeOutcome.Created, S.View(S.Exchanges[^1]));
    }

    /// <summary>Exchanges a dead activation began: the returns grain lets go of their held returns.</summary>
    private async Task WithdrawAbandoned()
    {
        foreach (var exchangeId in S.Abandoned.ToList())
        {
            await GrainFactory.GetGrain<IReturnsGrain>(OrderId).WithdrawExchange(exchangeId);
            S.Abandoned.Remove(exchangeId);
        }
    }

    public async Task Wake()
    {
        if (await EnsureOpened(null))
        {
            await Watched();
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != WatchName)
        {
            return;
        }

        if (!await EnsureOpened(null))
        {
            await StopWatching();
            return;
        }

        await Watched();
    }

    private Task Watched()
    {
        // The work queues keep their entries lazily; each watch puts this order's again, so one a crash lost returns.
        // The returns grain's acknowledgement is not persisted by it either way, so it hears the facts again too.
        S.ToldQueues = 0;
        S.ToldReturns = null;
        return Recover();
    }

    /// <summary>Finishes whatever a dead activation left: stock work, a re-sourcing, deadlines, news.</summary>
    private async Task Recover()
    {
        await FinishStockWork();
        await WithdrawAbandoned();
        if (S.ResourceDue)
        {
            await ResourceWaiting();
        }

        if (!await EnforceDeadlines())
        {
            await Tell();
        }

        Arm();
    }

    private async Task FinishStockWork()
    {
        if (S.Pending is { } pending)
        {
            await Apply(pending);
            S.Pending = null;
        }

        if (S.Tentative is { } tentative)
        {
            // Its allocations may be half made; undo them all, then source again on fresh figures.
            var steps = tentative.SelectMany(f => f.Lines.Select(l => new StockStep(f.LocationId, S.Line(l.LineId).Sku, l.LineId, S.Held(l.LineId, f.LocationId)))).ToList();
            await Apply(steps);
            if (S.PendingExchange is { } exchange)
            {
                S.Abandoned.Add(exchange.Id);
                S.AbandonExchange();
            }

            // A pickup change never answered is dropped whole: the old fulfilments kept their units throughout.
            S.PendingPickup = null;

            S.Tentative = null;
            S.ResourceDue = true;
        }
    }

    /// <summary>The change is durable with its stock work before the work is done; then news goes out.</summary>
    private async Task Commit(BookChange change)
    {
        // Work an earlier change could not finish (a stock item failed) goes first: every step is idempotent and
        // the allocations are absolute, so replaying it before the new work leaves each item where the book says.
        List<StockStep> steps = [.. S.Pending ?? [], .. change.Steps];
        S.Pending = steps.Count > 0 ? steps : null;
        await Task.WhenAll(state.WriteStateAsync(), Watch());
        if (S.Pending is not null)
        {
            await Apply(steps);
            S.Pending = null;
        }

        if (S.ResourceDue)
        {
            await ResourceWaiting();
        }

        var unused = S.UnusedShipSlots();
        if (unused.Count > 0)
        {
            await Task.WhenAll(unused.Select(b => GrainFactory.GetGrain<ILocationGrain>(b).ReleaseShipment(OrderId)));
            S.ShipSlots.RemoveAll(unused.Contains);
        }

        await Tell();
        Arm();
    }

    private async Task Apply(IReadOnlyList<StockStep> steps)
    {
        foreach (var step in steps)
        {
            var item = GrainFactory.GetGrain<IStockItemGrain>(Ids.StockItemKey(step.LocationId, step.Sku));
            var key = AllocationSlice.Key(OrderId, step.LineId);
            if (step.Movement is { } movement)
            {
                var result = await item.RecordPhysical(step.OperationId!, movement, key, step.Quantity, step.Reclaim);
                if (result.Outcome is not (PhysicalMovementOutcome.Applied or PhysicalMovementOutcome.Duplicate))
                {
                    // The parcel is a fact whatever the books say; the books need a person, not a refusal.
                    logger.LogError("Order {Order}: {Movement} of {Quantity} x line {Line} at {Location} refused by stock: {Outcome}",
                        OrderId, movement, step.Quantity, step.LineId, step.LocationId, result.Outcome);
                    S.NeedsAttention ??= $"stock at {step.LocationId} disagrees: {movement} of {step.Quantity} x line {step.LineId} was {result.Outcome}; count the shelf";
                }
            }
            else
            {
                var result = await item.SetAllocation(key, step.Quantity, null);
                if (result.Outcome != AllocationOutcome.Allocated)
                {
                    logger.LogError("Order {Order}: allocation of line {Line} at {Location} could not be set to {Quantity}: {Outcome}",
                        OrderId, step.LineId, step.LocationId, step.Quantity, result.Outcome);
                }
            }
        }
    }

    /// <summary>Sources the waiting units again, all or nothing: allocated everywhere, or nowhere and flagged.</summary>
    private async Task<ResourceOutcome> ResourceWaiting()
    {
        var sourcing = new CheckoutSourcing(GrainFactory, clock);
        var full = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var attempt = 1; attempt <= MaxResourceAttempts; attempt++)
        {
            var waiting = S.Waiting();
            if (waiting.Count == 0)
            {
                S.ResourceDue = false;
                return ResourceOutcome.NothingToResource;
            }

            var request = S.Request! with
            {
                ReservationId = null,
                Lines = [.. waiting.Select(w => S.Line(w.LineId) with { Quantity = w.Quantity, Hold = null })],
            };
            var excluded = S.Excluded(waiting);
            foreach (var (location, why) in full)
            {
                excluded.TryAdd(location, why);
            }

            var sourced = await sourcing.Source(request, new Dictionary<string, ReservationLine>(), excluded);
            var (plan, locations) = sourced;
            var now = clock.GetUtcNow();
            if (!plan.Complete)
            {
                S.Unresolved(now, plan.Unsourced.Count > 0
                    ? string.Join("; ", plan.Unsourced.Select(u => $"line {u.LineId}: {u.Reason}"))
                    : "no location is left to ask");
                await state.WriteStateAsync();
                meters.Short(Diagnostics.SourcingTrigger.Resource, request.Delivery.Method);
                return ResourceOutcome.NoCandidate;
            }

            var proposed = S.Propose(plan.Fulfilments, now,
                plan.Fulfilments.Select(f => f.LocationId).Distinct().ToDictionary(l => l, l => Options.AcceptWithin(locations.GetValueOrDefault(l))),
                promises: sourced.Promises);
            await state.WriteStateAsync();

            var (placed, slotless, _) = await Place(proposed, locations);
            if (placed)
            {
                S.Commit(now, new Doer("system", null));
                await state.WriteStateAsync();
                meters.Sourced(Diagnostics.SourcingTrigger.Resource, request.Delivery.Method, plan.Fulfilments, locations);
                return ResourceOutcome.Resourced;
            }

            if (slotless is not null)
            {
                full[slotless] = "ship-from-store capacity used up today";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt));
        }

        S.Unresolved(clock.GetUtcNow(), "other orders kept taking the same units");
        await state.WriteStateAsync();
        return ResourceOutcome.Contended;
    }

    /// <summary>Takes the proposal's ship-from-store slots and allocates its units, or undoes both.</summary>
    /// <returns>Whether it is placed, the boutique whose capacity was used up when that is why not, and the slots it took.</returns>
    private async Task<(bool Placed, string? Slotless, IReadOnlyList<string> Taken)> Place(IReadOnlyList<LiveFulfilment> proposed, IReadOnlyDictionary<string, LocationInfo> locations)
    {
        var taken = proposed.Where(f => f.Mode == FulfilmentMode.Ship && locations.GetValueOrDefault(f.LocationId)?.Type == LocationType.Boutique)
            .Select(f => f.LocationId).Distinct().Except(S.ShipSlots).ToList();
        var slotless = await FirstFull(taken);
        if (slotless is null && await AllocateProposed(proposed))
        {
            S.ShipSlots.AddRange(taken);
            return (true, null, taken);
        }

        await Unplace(proposed, taken);
        return (false, slotless, []);
    }

    /// <summary>Sets the proposal's stock back to what the book holds and frees the slots it took.</summary>
    private async Task Unplace(IReadOnlyList<LiveFulfilment> proposed, IReadOnlyList<string> taken)
    {
        S.Tentative = null;
        await Apply([.. proposed.SelectMany(f => f.Lines.Select(l => new StockStep(f.LocationId, S.Line(l.LineId).Sku, l.LineId, S.Held(l.LineId, f.LocationId))))]);
        await Task.WhenAll(taken.Select(b => GrainFactory.GetGrain<ILocationGrain>(b).ReleaseShipment(OrderId)));
        S.ShipSlots.RemoveAll(taken.Contains);
    }

    private async Task<string?> FirstFull(IEnumerable<string> boutiques)
    {
        foreach (var boutique in boutiques.Where(b => !S.ShipSlots.Contains(b)))
        {
            if (!await GrainFactory.GetGrain<ILocationGrain>(boutique).TryAssignShipment(OrderId))
            {
                return boutique;
            }
        }

        return null;
    }

    /// <summary>In stock item key order, as checkout allocates, so racing re-sourcings finish whole.</summary>
    private async Task<bool> AllocateProposed(IReadOnlyList<LiveFulfilment> proposed)
    {
        var targets = proposed.SelectMany(f => f.Lines.Select(l => (f.LocationId, l.LineId, Sku: S.Line(l.LineId).Sku))).Distinct()
            .OrderBy(t => Ids.StockItemKey(t.LocationId, t.Sku), StringComparer.Ordinal);
        foreach (var (location, lineId, sku) in targets)
        {
            var result = await GrainFactory.GetGrain<IStockItemGrain>(Ids.StockItemKey(location, sku))
                .SetAllocation(AllocationSlice.Key(OrderId, lineId), S.Held(lineId, location, withTentative: true), null);
            if (result.Outcome != AllocationOutcome.Allocated)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Tells the order and the work queues what they have not heard; the watch retries what fails.</summary>
    private async Task Tell()
    {
        var version = S.Version;
        try
        {
            if (S.ToldOrder < version)
            {
                await Order.Track(S.Summary());
                S.Acknowledge(version);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Order {Order}: fulfilment news of version {Version} not delivered yet; the watch retries", OrderId, version);
            _watchdog.RetrySoon(Tell);
            await Watch();
            return;
        }

        if (!await TellQueues() || !await TellReturns())
        {
            _watchdog.RetrySoon(Tell);
            await Watch();
            return;
        }

        if (S.Fulfilments.All(f => !f.IsOpen) && S.Pending is null && S.Tentative is null && !S.ResourceDue)
        {
            await StopWatching();
        }
    }

    private async Task<bool> TellQueues()
    {
        var version = S.Version;
        if (S.ToldQueues >= version)
        {
            return true;
        }

        try
        {
            var tasks = S.Tasks();
            await Task.WhenAll(tasks.Select(t => GrainFactory.GetGrain<IFulfilmentQueueGrain>(t.Key).Put(OrderId, version, t.Value)));
            S.Queued = [.. tasks.Where(t => t.Value.Count > 0).Select(t => t.Key)];
            S.ToldQueues = version;
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Order {Order}: work queues not told of version {Version} yet; the watch retries", OrderId, version);
            return false;
        }
    }

    /// <summary>What was undone of a captured order, and intercepts, go to the returns grain, which refunds and authorises returns.</summary>
    private async Task<bool> TellReturns()
    {
        if (S.AftercareNews() is not var (signature, facts) || signature == S.ToldReturns)
        {
            return true;
        }

        try
        {
            await GrainFactory.GetGrain<IReturnsGrain>(OrderId).Settle(facts);
            S.ToldReturns = signature;
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Order {Order}: after-care not told of version {Version} yet; the watch retries", OrderId, S.Version);
            return false;
        }
    }

    /// <summary>Opens from the hand-off, or (when the order's call was lost) from what the order says it placed.</summary>
    private async Task<bool> EnsureOpened(FulfilmentHandOff? handOff)
    {
        if (S.Exists)
        {
            return true;
        }

        _opening ??= OpenOnce(handOff);
        var opened = await _opening;
        if (!opened)
        {
            _opening = null;
        }

        return opened;
    }

    private async Task<bool> OpenOnce(FulfilmentHandOff? given)
    {
        var handOff = given ?? await Order.Placement();
        if (handOff is null)
        {
            return false;
        }

        var acceptBy = handOff.AcceptBy ?? await AcceptDeadlines(handOff);
        state.State = FulfilmentBook.Open(OrderId, handOff, acceptBy);

        // The opening book follows from the hand-off alone, and the order's own state keeps that durable: it is
        // written with the first change, not now, so checkout (which waits for this) pays no write for it. An
        // activation that finds nothing stored opens again from the order. Only an order placed before fulfilment
        // existed gets its deadlines here, from the clock, and so must be written.
        var write = Task.CompletedTask;
        if (handOff.AcceptBy is null)
        {
            // Such an order shows nothing of its fulfilment yet: it must hear the first version too.
            S.ToldOrder = 0;
            write = state.WriteStateAsync();
        }

        // No watch yet: until this grain has news of its own, the order's watch (which checkout registered
        // anyway) wakes it. The order is not told here: it may be the caller, waiting.
        await Task.WhenAll(write, TellQueues());
        Arm();
        return true;
    }

    private async Task<IReadOnlyDictionary<string, DateTimeOffset>> AcceptDeadlines(FulfilmentHandOff handOff)
    {
        var deadlines = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var f in handOff.Plan)
        {
            deadlines[f.FulfilmentId] = clock.GetUtcNow() + Options.AcceptWithin(await GrainFactory.GetGrain<ILocationGrain>(f.LocationId).Get());
        }

        return deadlines;
    }

    /// <summary>A store key reports for its own location; for a transfer, the receiving boutique reports the arrival and after.</summary>
    private static bool MayReport(LiveFulfilment f, FulfilmentReportType type, IReadOnlyList<string> locations) =>
        locations.Contains(f.LocationId)
        || (f.Mode == FulfilmentMode.Transfer && f.PickupLocationId is { } counter && locations.Contains(counter)
            && type is FulfilmentReportType.Received or FulfilmentReportType.ReadyForPickup or FulfilmentReportType.Collected);

    /// <summary>Six digits a customer can read out at a counter, from a cryptographic source so they cannot be guessed.</summary>
    private static string NewPickupCode() => RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A grain timer for the next deadline while active; the watch covers a deactivation or a crash.</summary>
    private void Arm()
    {
        _deadlineTimer?.Dispose();
        _deadlineTimer = null;
        if (S.NextDeadline() is not { } next)
        {
            return;
        }

        // A grain timer cannot wait weeks (its due time is bounded); a far deadline is looked at again daily.
        var due = TimeSpan.FromTicks(Math.Min((next - clock.GetUtcNow()).Ticks, TimeSpan.FromDays(1).Ticks));
        _deadlineTimer = this.RegisterGrainTimer(async () =>
        {
            if (!await EnforceDeadlines())
            {
                Arm();
            }
        }, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Rejects or expires whatever is past its deadline; each lapse is counted once its change is written.</summary>
    /// <returns>Whether any deadline had passed.</returns>
    private async Task<bool> EnforceDeadlines()
    {
        var change = S.Deadlines(clock.GetUtcNow());
        if (change.Outcome != FulfilmentReportOutcome.Applied)
        {
            return false;
        }

        await Commit(change);
        foreach (var (deadline, mode) in change.Lapsed ?? [])
        {
            meters.Lapsed(deadline, mode);
        }

        return true;
    }

    private Task Watch() => _watchdog.Watch();

    private Task StopWatching() => _watchdog.Stop();

    private IOrderGrain Order => GrainFactory.GetGrain<IOrderGrain>(OrderId);

    private static Doer Doer => new(ActorContext.Current, ActorContext.CurrentName);
}
