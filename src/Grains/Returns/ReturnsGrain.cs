using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Returns;
using Oms.Contracts.Security;
using Oms.Contracts.Stock;
using Oms.Grains.Faults;
using Oms.Grains.Fulfilments;
using Oms.Grains.Hosting;
using Oms.Grains.Recovery;

namespace Oms.Grains.Returns;

/// <summary>
/// After-care of one order, keyed by order id: a room of its own beside the order and its fulfilment. It asks the
/// fulfilment what reached the customer, decides returns and refunds one at a time (so racing returns cannot
/// take the same unit twice), writes each change with the stock it moves before moving it, and then tells the
/// order (which keeps the timeline and raises the events) and the receiving queues, again until they have heard.
/// </summary>
public sealed class ReturnsGrain(
    [PersistentState("returns", OmsStorage.Name)] IPersistentState<ReturnBook> state,
    TimeProvider clock,
    IOptions<ReturnOptions> options,
    IWatchTable watches,
    ILogger<ReturnsGrain> logger) : Grain, IReturnsGrain, IRemindable
{
    private const string WatchName = "returns-watch";

    private IGrainTimer? _expiryTimer;
    private IGrainTimer? _recovery;
    private GrainWatch _watchdog = null!;

    private ReturnBook S => state.State;
    private string OrderId => this.GetPrimaryKeyString();
    private ReturnOptions Options => options.Value;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _watchdog = new GrainWatch(this, watches, clock, WatchName, Options.WatchPeriod, Options.WatchPeriod);
        if (!S.Exists)
        {
            return;
        }

        await Infrastructure.Guard(FinishStockWork, $"Recovery of returns of order {OrderId}");

        // Telling the order may meet an order that is itself busy: that is a turn of its own, never activation's.
        _recovery = this.RegisterGrainTimer(async () =>
        {
            _recovery?.Dispose();
            await Recover();
        }, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    public async Task<ReturnResult> Authorise(AuthoriseReturn request)
    {
        var facts = await GrainFactory.GetGrain<IFulfilmentGrain>(OrderId).Aftercare();
        if (facts is null)
        {
            return new(ReturnOutcome.NotFound, null, "orderId", null, $"Order '{OrderId}' does not exist.");
        }

        S.OrderId = OrderId;
        var replay = S.Returns.Any(r => r.Key == request.Key);
        if (!replay && await UnfitLocation(request.LocationId, request.Method, "locationId") is { } unfit)
        {
            return unfit;
        }

        var change = S.Authorise(request, facts, clock.GetUtcNow(), Doer, Options);
        if (change.Outcome == ReturnOutcome.Authorised)
        {
            await Commit(change.Steps);
        }
        else if (change.Outcome == ReturnOutcome.Replayed)
        {
            await Tell();
        }

        return Result(change);
    }

    public async Task<ReturnResult> Receive(string returnId, ReceiveReturn receipt, IReadOnlyList<string>? locations)
    {
        // A return held for an exchange still being placed does not exist yet for anyone, a receiving warehouse included.
        if (!S.Exists || S.Find(returnId) is not { Pending: false } target)
        {
            return new(ReturnOutcome.NotFound, null, "returnId", null, $"Return '{returnId}' does not exist.");
        }

        if (locations is not null && !locations.Contains(receipt.LocationId))
        {
            return new(ReturnOutcome.Forbidden, null, "locationId", null, $"This credential does not act for {receipt.LocationId}.");
        }

        var replay = target.Receipts.Any(r => r.EventId == receipt.EventId);
        if (!replay && await UnfitLocation(receipt.LocationId, target.Method, "locationId") is { } unfit)
        {
            return unfit;
        }

        var change = S.Receive(returnId, receipt, clock.GetUtcNow(), Doer, Options);
        if (change.Outcome == ReturnOutcome.Received)
        {
            await Commit(change.Steps);
        }
        else if (change.Outcome == ReturnOutcome.Replayed)
        {
            await Tell();
        }

        return Result(change);
    }

    public async Task<ReturnResult> AuthoriseExchange(ExchangeReturn request, AftercareFacts facts)
    {
        S.OrderId = OrderId;
        var replay = S.Returns.Any(r => r.Key == request.Key);
        if (!replay && await UnfitLocation(request.LocationId, request.Method, "locationId") is { } unfit)
        {
            return unfit;
        }

        var change = S.AuthoriseExchange(request, facts, clock.GetUtcNow(), Doer, Options);
        if (change.Outcome == ReturnOutcome.Authorised)
        {
            // Held, not shown: nothing to tell until the fulfilment's facts confirm it.
            await state.WriteStateAsync();
        }

        return Result(change);
    }

    public async Task WithdrawExchange(string exchangeId)
    {
        if (S.Exists && S.WithdrawExchange(exchangeId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<ReturnView?> Get(string returnId) =>
        Task.FromResult(S.Exists && S.Find(returnId) is { Pending: false } r ? r.View(OrderId, S.Currency) : null);

    public async Task<RefundReportResult> ReportRefund(string refundId, RefundReport report)
    {
        if (!S.Exists)
        {
            return new(RefundReportOutcome.NotFound, null, $"Refund '{refundId}' does not exist.");
        }

        var (outcome, refund, message) = S.ReportRefund(refundId, report, clock.GetUtcNow(), Doer);
        if (outcome == RefundReportOutcome.Applied)
        {
            await Commit([]);
        }

        return new(outcome, refund?.View(OrderId, S.Currency), message);
    }

    public async Task Settle(AftercareFacts facts)
    {
        S.OrderId = OrderId;
        if (S.Settle(facts, clock.GetUtcNow(), Options))
        {
            await Commit([]);
        }
        else
        {
            await Tell();
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != WatchName)
        {
            return;
        }

        if (!S.Exists)
        {
            await StopWatching();
            return;
        }

        // The receiving queues keep their entries lazily; each watch puts this order's again.
        S.ToldQueues = 0;
        await Recover();
    }

    private async Task Recover()
    {
        await FinishStockWork();
        if (S.Expire(clock.GetUtcNow()))
        {
            await Commit([]);
        }
        else
        {
            await Tell();
            Arm();
        }
    }

    /// <summary>Where returns may be sent or received: a warehouse, or a boutique that accepts returns; a drop-off is a boutique's.</summary>
    private async Task<ReturnResult?> UnfitLocation(string locationId, ReturnMethod method, string field)
    {
        var location = await GrainFactory.GetGrain<ILocationGrain>(locationId).Get();
        var why = location is null ? $"location '{locationId}' is not registered."
            : method == ReturnMethod.DropOff && location.Type != LocationType.Boutique ? $"'{locationId}' is a warehouse; a drop-off is made at a boutique."
            : location.Type == LocationType.Boutique && !location.Can(LocationCapability.AcceptsReturns) ? $"'{locationId}' does not accept returns."
            : null;
        return why is null ? null : new(ReturnOutcome.Invalid, null, field, "location", why);
    }

    private async Task FinishStockWork()
    {
        if (S.Pending is { } pending)
        {
            await Apply(pending);
            S.Pending = null;
        }
    }

    /// <summary>The change is durable with its stock work before the work is done; then news goes out.</summary>
    private async Task Commit(IReadOnlyList<StockStep> steps)
    {
        List<StockStep> work = [.. S.Pending ?? [], .. steps];
        S.Pending = work.Count > 0 ? work : null;
        await Task.WhenAll(state.WriteStateAsync(), Watch());
        if (S.Pending is not null)
        {
            await Apply(work);
            S.Pending = null;
        }

        await Tell();
        Arm();
    }

    private async Task Apply(IReadOnlyList<StockStep> steps)
    {
        foreach (var step in steps)
        {
            var item = GrainFactory.GetGrain<IStockItemGrain>(Ids.StockItemKey(step.LocationId, step.Sku));
            var operation = step.OperationId!;
            var returnId = operation[..operation.IndexOf('/')];
            var result = await item.RecordPhysical(operation, step.Movement!.Value, returnId, step.Quantity);
            if (result.Outcome is not (PhysicalMovementOutcome.Applied or PhysicalMovementOutcome.Duplicate))
            {
                // The parcel is on the shelf whatever the books say; a person must count it.
                logger.LogError("Return {Return}: {Movement} of {Quantity} x line {Line} at {Location} refused by stock: {Outcome}",
                    returnId, step.Movement, step.Quantity, step.LineId, step.LocationId, result.Outcome);
            }
        }
    }

    /// <summary>Tells the order, the receiving queues and (for parcels back) the fulfilment; the watch retries what fails.</summary>
    private async Task Tell()
    {
        var version = S.Version;
        try
        {
            if (S.ToldOrder < version)
            {
                await GrainFactory.GetGrain<IOrderGrain>(OrderId).Aftercare(S.Summary());
                S.Acknowledge(version);
            }

            if (S.ToldQueues < version)
            {
                var tasks = S.Tasks();
                await Task.WhenAll(tasks.Select(t => GrainFactory.GetGrain<IReturnQueueGrain>(t.Key).Put(OrderId, version, t.Value)));
                S.Queued = [.. tasks.Where(t => t.Value.Count > 0).Select(t => t.Key)];
                S.ToldQueues = version;
            }

            if (S.Instructions() is { } instructions)
            {
                await GrainFactory.GetGrain<IFulfilmentGrain>(OrderId).Instruct(instructions);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Returns of order {Order}: news of version {Version} not delivered yet; retried in a second, and by the watch", OrderId, version);
            _watchdog.RetrySoon(Tell);
            await Watch();
            return;
        }

        // Open returns keep the watch: an authorisation must expire even if this silo dies.
        if (S.Instructions() is not null || S.Returns.Any(r => r.IsOpen))
        {
            await Watch();
        }
        else if (S.Pending is null)
        {
            await StopWatching();
        }
    }

    /// <summary>A grain timer for the next expiry while active; the watch covers a deactivation or a crash.</summary>
    private void Arm()
    {
        _expiryTimer?.Dispose();
        _expiryTimer = null;
        if (S.NextExpiry() is not { } next)
        {
            return;
        }

        // A grain timer cannot wait weeks; a far expiry is looked at again daily.
        var due = TimeSpan.FromTicks(Math.Clamp((next - clock.GetUtcNow()).Ticks, 0, TimeSpan.FromDays(1).Ticks));
        _expiryTimer = this.RegisterGrainTimer(Recover, due, Timeout.InfiniteTimeSpan);
    }

    private Task Watch() => _watchdog.Watch();

    private Task StopWatching() => _watchdog.Stop();

    private ReturnResult Result(ReturnChange change) =>
        new(change.Outcome, change.Return?.View(OrderId, S.Currency), change.Field, change.Rule, change.Message);

    private static Doer Doer => new(ActorContext.Current, ActorContext.CurrentName);
}
