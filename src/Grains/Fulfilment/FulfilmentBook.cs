using System.Text.Json;
using Oms.Contracts.Events;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Contracts.Promise;
using Oms.Contracts.Returns;
using Oms.Contracts.Stock;
using Oms.Grains.Events;
using Oms.Grains.Promise;

namespace Oms.Grains.Fulfilments;

/// <summary>
/// One change at a stock item: the allocation of a line set to an absolute figure (idempotent by nature), or a
/// physical movement (idempotent by its operation id). Recorded before it is made, so a crash replays it.
/// </summary>
public sealed record StockStep(string LocationId, string Sku, string LineId, int Quantity, PhysicalMovement? Movement = null, string? OperationId = null, bool Reclaim = false);

/// <summary>A parcel a cancellation asked the carrier to bring back; it comes back, or is delivered anyway.</summary>
public sealed class Intercept
{
    public string FulfilmentId { get; set; } = "";
    public string LocationId { get; set; } = "";
    public List<FulfilmentLine> Lines { get; set; } = [];
    public DateTimeOffset At { get; set; }
    public bool Failed { get; set; }
    public bool Returned { get; set; }
    public string Reason { get; set; } = "";
    public string Actor { get; set; } = "";
}

/// <summary>Units of an order line swapped for replacement units on a new line.</summary>
public sealed class ExchangedLine
{
    public string LineId { get; set; } = "";
    public int Quantity { get; set; }
    public string NewLineId { get; set; } = "";
    public string NewSku { get; set; } = "";
    public decimal UnitPrice { get; set; }
    public ReturnReason Reason { get; set; }
}

public sealed class Exchange
{
    public string Id { get; set; } = "";
    public string Key { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public ExchangeMode Mode { get; set; }
    public ExchangeStatus Status { get; set; }
    public List<ExchangedLine> Lines { get; set; } = [];
    public List<string> FulfilmentIds { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public string? ReturnId { get; set; }

    /// <summary>What the replacement costs more (or, negative, less) than the units it replaces.</summary>
    public decimal Difference(Func<string, decimal> oldPrice) => Lines.Sum(l => (l.UnitPrice - oldPrice(l.LineId)) * l.Quantity);
}

/// <summary>A pickup change being placed: the fulfilments it withdraws once its new ones are allocated.</summary>
public sealed class PickupChange
{
    public string From { get; set; } = "";
    public string To { get; set; } = "";
    public string? Reason { get; set; }
    public List<string> Withdrawn { get; set; } = [];
}

/// <summary>What moving the pickup would do: the units to source for the new boutique and the fulfilments they leave.</summary>
public sealed record PickupChangePlan(PickupChangeOutcome Outcome, string? Message, IReadOnlyList<FulfilmentLine> Lines, IReadOnlyList<string> Withdrawn)
{
    public static PickupChangePlan Refused(PickupChangeOutcome outcome, string? message = null) => new(outcome, message, [], []);
}

/// <summary>Who did it, as the timeline and history show it.</summary>
public readonly record struct Doer(string Actor, string? Name);

/// <summary>What a change to the book asks the grain to do.</summary>
/// <param name="Target">The fulfilment the change moved (for a partial report, the part divided off).</param>
/// <param name="Resource">Units the change left without a location, to source again now.</param>
/// <param name="Lapsed">The fulfilments whose deadline the change enforced, for the SLA meter; null for any other change.</param>
public sealed record BookChange(
    FulfilmentReportOutcome Outcome,
    LiveFulfilment? Target,
    IReadOnlyList<StockStep> Steps,
    IReadOnlyList<FulfilmentLine> Resource,
    string? Message = null,
    string? Field = null,
    IReadOnlyList<(Diagnostics.SlaDeadline Deadline, FulfilmentMode Mode)>? Lapsed = null)
{
    public static BookChange Refused(FulfilmentReportOutcome outcome, string message, string? field = null, LiveFulfilment? target = null) =>
        new(outcome, target, [], [], message, field);
}

/// <summary>
/// The fulfilment of one order: every fulfilment's status and units, where the units are allocated, what the
/// order has not been told yet, and the rules for reports, cancellations, deadlines and rejection. Pure: the
/// grain does the I/O (stock items, sourcing, the order), this decides what it should be.
/// </summary>
/// <remarks>
/// Stock follows from the book rather than from each step: before and after a change the book knows, per line
/// and location, how many units its stock item must hold allocated, and the physical movements it records; a
/// difference the movements do not explain becomes an absolute allocation. So a cancellation, an expiry, a
/// rejection or a re-sourcing cannot leave an allocation behind, whatever path led there.
/// </remarks>
public sealed class FulfilmentBook
{
    /// <summary>A report log per order is bounded: a looping integration must not grow it without end.</summary>
    public const int MaxReports = 2_000;

    /// <summary>Wrong pickup codes a parcel takes before it gets a new one.</summary>
    public const int MaxWrongCodes = 5;

    public string OrderId { get; set; } = "";
    public PlaceOrder? Request { get; set; }
    public DateTimeOffset PlacedAt { get; set; }
    public List<LiveFulfilment> Fulfilments { get; set; } = [];

    /// <summary>Units no location could be found for (after rejections), per line.</summary>
    public Dictionary<string, int> Unfulfillable { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Units cancelled that were in no fulfilment (unfulfillable ones), per line.</summary>
    public Dictionary<string, int> LooseCancelled { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per line, every location that rejected it for this order: never asked again.</summary>
    public Dictionary<string, List<string>> Rejecters { get; set; } = new(StringComparer.Ordinal);

    public List<string> ShipSlots { get; set; } = [];

    /// <summary>Report event ids with their fingerprint and the fulfilment they moved, so a replay answers the same.</summary>
    public Dictionary<string, string> Reports { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Cancellations { get; set; } = new(StringComparer.Ordinal);

    public long Version { get; set; }

    /// <summary>The version the order has recorded; <see cref="Untold"/> is what happened after it.</summary>
    public long ToldOrder { get; set; }

    public long ToldQueues { get; set; }
    public List<FulfilmentHappening> Untold { get; set; } = [];

    /// <summary>Stock work recorded and perhaps not yet confirmed by every stock item; replayed on activation.</summary>
    public List<StockStep>? Pending { get; set; }

    /// <summary>Fulfilments of a re-sourcing being allocated; rolled back on activation if the silo died meanwhile.</summary>
    public List<LiveFulfilment>? Tentative { get; set; }

    /// <summary>A rejection left units to source again; activation finishes it if the silo died first.</summary>
    public bool ResourceDue { get; set; }

    public string? NeedsAttention { get; set; }

    /// <summary>Fulfilments ever created, to name the next.</summary>
    public int Created { get; set; }

    /// <summary>Locations whose work queue lists this order, so one that no longer does is emptied.</summary>
    public List<string> Queued { get; set; } = [];

    /// <summary>Parcels a cancellation asked the carrier to bring back, one per parcel.</summary>
    public List<Intercept> Intercepts { get; set; } = [];

    /// <summary>Exchanges committed: each added replacement lines, and its fulfilments.</summary>
    public List<Exchange> Exchanges { get; set; } = [];

    /// <summary>An exchange being placed: its lines are in the request and its fulfilments tentative until it commits.</summary>
    public Exchange? PendingExchange { get; set; }

    /// <summary>Exchanges a dead activation began and did not commit: the returns grain must let go of their returns.</summary>
    public List<string> Abandoned { get; set; } = [];

    /// <summary>A pickup change whose new fulfilments are tentative: until it commits, its withdrawn ones still hold their units.</summary>
    public PickupChange? PendingPickup { get; set; }

    /// <summary>The after-care facts the returns grain last acknowledged, as <see cref="AftercareNews"/> signs them.</summary>
    public string? ToldReturns { get; set; }

    public bool Exists => Request is not null;

    public static FulfilmentBook Open(string orderId, FulfilmentHandOff handOff, IReadOnlyDictionary<string, DateTimeOffset> acceptBy)
    {
        var book = new FulfilmentBook
        {
            OrderId = orderId,
            Request = handOff.Request,
            PlacedAt = handOff.PlacedAt,
            ShipSlots = [.. handOff.ShipSlots],
            Cancellations = new(handOff.Cancellations ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            Created = handOff.Plan.Count,
            Version = 1,
            ToldOrder = 1,
        };

        foreach (var plan in handOff.Plan)
        {
            var f = new LiveFulfilment
            {
                Id = plan.FulfilmentId,
                LocationId = plan.LocationId,
                Mode = plan.Mode,
                Status = FulfilmentStatus.Requested,
                Lines = [.. plan.Lines],
                Explanation = plan.Explanation,
                PickupLocationId = plan.Mode == FulfilmentMode.Ship ? null : handOff.Request.Delivery.PickupLocationId,
                RequestedAt = handOff.PlacedAt,
                AcceptBy = acceptBy.TryGetValue(plan.FulfilmentId, out var by) ? by : null,
                Promise = handOff.Promises?.GetValueOrDefault(plan.FulfilmentId),
                History = [new FulfilmentHistoryEntry(handOff.PlacedAt, "requested", "system", plan.Explanation.Rule)],
            };

            // An order cancelled in part before it handed over (stored by an older version) hands over fewer units.
            foreach (var line in plan.Lines)
            {
                var allocated = handOff.Allocated.Where(a => a.LineId == line.LineId && a.LocationId == plan.LocationId).Sum(a => a.Quantity);
                if (allocated < line.Quantity)
                {
                    f.Cancelled = LiveFulfilment.Add(f.Cancelled, line.LineId, line.Quantity - allocated);
                }
            }

            if (f.Open().Count == 0)
            {
                f.Status = FulfilmentStatus.Cancelled;
            }

            book.Fulfilments.Add(f);
        }

        return book;
    }

    public LiveFulfilment? Find(string fulfilmentId) => Fulfilments.FirstOrDefault(f => f.Id == fulfilmentId);

    public OrderLine Line(string lineId) => Request!.Lines.First(l => l.LineId == lineId);

    /// <summary>Units of the line the location's stock item must hold allocated for this order.</summary>
    public int Held(string lineId, string locationId, bool withTentative = false) =>
        Holding(withTentative).Where(f => f.Holder == locationId).Sum(f => f.OpenUnits(lineId));

    public Dictionary<(string LineId, string LocationId), int> HeldMap(bool withTentative = false)
    {
        var map = new Dictionary<(string, string), int>();
        foreach (var f in Holding(withTentative))
        {
            if (f.Holder is { } holder)
            {
                foreach (var line in f.Open())
                {
                    map[(line.LineId, holder)] = map.GetValueOrDefault((line.LineId, holder)) + line.Quantity;
                }
            }
        }

        return map;
    }

    /// <summary>
    /// The fulfilments that hold units: as committed, or as the proposal would have it, where a pickup change's
    /// withdrawn fulfilments no longer count (so a unit it keeps at the same location is not allocated twice).
    /// </summary>
    private IEnumerable<LiveFulfilment> Holding(bool withTentative) => !withTentative ? Fulfilments
        : Fulfilments.Where(f => PendingPickup?.Withdrawn.Contains(f.Id) != true).Concat(Tentative ?? []);

    public IReadOnlyList<LineUnits> Units() => [.. Request!.Lines.Select(l => UnitsOf(l.LineId))];

    public LineUnits UnitsOf(string lineId)
    {
        int allocated = 0, shipped = 0, delivered = 0, collected = 0, cancelled = LooseCancelled.GetValueOrDefault(lineId);
        foreach (var f in Fulfilments)
        {
            cancelled += LiveFulfilment.Units(f.Cancelled, lineId) - LiveFulfilment.Units(f.Moved, lineId);
            var open = f.OpenUnits(lineId);
            switch (f.Status)
            {
                case FulfilmentStatus.Shipped when f.Mode == FulfilmentMode.Ship: shipped += open; break;
                case FulfilmentStatus.Delivered: delivered += open; break;
                case FulfilmentStatus.Collected: collected += open; break;
                case FulfilmentStatus.Expired: cancelled += open; break;
                case FulfilmentStatus.Rejected or FulfilmentStatus.Cancelled: break;
                default: allocated += open; break;
            }
        }

        return new LineUnits(lineId, allocated, shipped, delivered, collected, cancelled, Unfulfillable.GetValueOrDefault(lineId));
    }

    public FulfilmentSummary Summary() => new(
        Version, [.. Fulfilments.Select(f => f.View())], Units(), NeedsAttention, [.. Untold],
        [.. HeldMap().Where(h => h.Value > 0).Select(h => new LineAllocationAt(h.Key.LineId, Line(h.Key.LineId).Sku, h.Key.LocationId, h.Value))],
        Exchanges.Count == 0 ? null : [.. Exchanges.SelectMany(x => x.Lines).Select(l => Line(l.NewLineId))],
        Exchanges.Count == 0 ? null : [.. Exchanges.Select(View)],
        Request!.Delivery);

    /// <summary>Every location whose queue shows a fulfilment of this order, with the tasks it shows.</summary>
    public Dictionary<string, List<FulfilmentTask>> Tasks()
    {
        var tasks = Queued.ToDictionary(l => l, _ => new List<FulfilmentTask>(), StringComparer.Ordinal);
        // A parcel on its way to the customer is the carrier's now, not the location's work.
        // A replacement held for an exchange is nobody's work until the return arrives.
        foreach (var f in Fulfilments.Where(f => f.IsOpen && f.Status != FulfilmentStatus.OnHold && !(f.Mode == FulfilmentMode.Ship && f.Status == FulfilmentStatus.Shipped)))
        {
            var lines = f.Open().Select(l => new FulfilmentTaskLine(l.LineId, Line(l.LineId).Sku, l.Quantity)).ToList();
            var task = new FulfilmentTask(OrderId, f.Id, f.Mode, f.Status, lines, f.RequestedAt,
                f.Status == FulfilmentStatus.Requested ? f.AcceptBy : null,
                f.Status == FulfilmentStatus.ReadyForPickup ? f.CollectBy : null,
                Request!.Customer.Name, Incoming: false);

            // A transfer is the sender's work until it leaves, then the receiving boutique's.
            var arrived = f.Mode == FulfilmentMode.Transfer && f.Status is FulfilmentStatus.Shipped or FulfilmentStatus.Received or FulfilmentStatus.ReadyForPickup;
            var at = arrived ? f.PickupLocationId! : f.LocationId;
            (tasks.TryGetValue(at, out var list) ? list : tasks[at] = []).Add(arrived ? task with { Incoming = true } : task);
        }

        return tasks;
    }

    private void Happen(DateTimeOffset at, string type, Doer doer, string details, object data) =>
        Untold.Add(new FulfilmentHappening(Version, at, type, doer.Actor, doer.Name, details, JsonSerializer.Serialize(data, EventJson.Options)));

    private static string Describe(IEnumerable<FulfilmentLine> lines) => string.Join(", ", lines.Select(l => $"line {l.LineId} x{l.Quantity}"));

    private static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    // ---- Reports from locations ------------------------------------------------------------------------------

    /// <param name="newCode">Issues a pickup code, when the report makes a parcel ready.</param>
    public BookChange Report(string fulfilmentId, FulfilmentReport report, DateTimeOffset now, Doer doer, TimeSpan holdForPickup, Func<string> newCode)
    {
        var fingerprint = JsonSerializer.Serialize(report, EventJson.Options);
        if (Reports.TryGetValue(report.EventId, out var seen))
        {
            var split = seen.IndexOf('\n');
            return seen[..split] == fingerprint
                ? new BookChange(FulfilmentReportOutcome.Replayed, Find(seen[(split + 1)..]), [], [])
                : BookChange.Refused(FulfilmentReportOutcome.KeyConflict, "This event id was already used for a different report.", "eventId");
        }

        if (Find(fulfilmentId) is not { } f)
        {
            return BookChange.Refused(FulfilmentReportOutcome.NotFound, $"the order has no fulfilment '{fulfilmentId}'.", "fulfilmentId");
        }

        if (Reports.Count >= MaxReports)
        {
            return BookChange.Refused(FulfilmentReportOutcome.Invalid, $"this order has had {MaxReports} reports; no more are taken.", "eventId", f);
        }

        var step = Step(report.Type);
        var physical = step is FulfilmentStep.Ship or FulfilmentStep.Deliver or FulfilmentStep.Receive or FulfilmentStep.Collect;
        if (step == FulfilmentStep.Ship && f is { Status: FulfilmentStatus.Rejected, RejectionReason: RejectionReason.Timeout } && f.Mode != FulfilmentMode.Pickup)
        {
            return ShippedAfterTimeout(f, report, fingerprint, now, doer);
        }

        // What the report covers: named lines, or every open unit; a physical report may also name cancelled
        // units (the parcel left with them), and one about a wholly cancelled fulfilment covers its units.
        var open = f.Open();
        var pool = physical ? f.Lines : open;
        var ask = report.Lines ?? (open.Count == 0 && physical ? f.Cancelled : open);
        IReadOnlyList<FulfilmentLine> covered = [];
        if (ask.Count > 0 || report.Lines is not null)
        {
            var (named, _, error) = FulfilmentSplit.Divide(pool, ask);
            if (error is not null)
            {
                return BookChange.Refused(FulfilmentReportOutcome.Invalid, error.Message, error.Field, f);
            }

            covered = named;
        }

        var fromOpen = new List<FulfilmentLine>();
        var fromCancelled = new List<FulfilmentLine>();
        foreach (var line in covered)
        {
            var live = Math.Min(line.Quantity, f.OpenUnits(line.LineId));
            fromOpen = LiveFulfilment.Add(fromOpen, line.LineId, live);
            fromCancelled = LiveFulfilment.Add(fromCancelled, line.LineId, line.Quantity - live);
        }

        if (fromCancelled.Count > 0 && f.Moved.Count > 0)
        {
            // Reversing would count the units twice: the pickup change sourced them again at the new boutique.
            return new BookChange(FulfilmentReportOutcome.Impossible, f, [], [],
                $"Fulfilment {f.Id} was withdrawn when the order's pickup boutique changed, and its units were sourced again there; customer care must settle this parcel.", "type");
        }

        var decision = fromOpen.Count > 0 || fromCancelled.Count == 0 ? FulfilmentLifecycle.Decide(f.Mode, f.Status, step, f.CancelledFrom) : null;
        var reversal = fromCancelled.Count > 0 ? FulfilmentLifecycle.Decide(f.Mode, FulfilmentStatus.Cancelled, step, f.CancelledFrom) : null;
        if (decision is { Outcome: StepOutcome.AlreadyPast } && reversal is not null)
        {
            // The open units are past this step already; only the cancelled ones named with them move.
            (decision, fromOpen) = (null, []);
        }

        foreach (var d in new[] { decision, reversal })
        {
            if (d is { Outcome: StepOutcome.Impossible })
            {
                return new BookChange(FulfilmentReportOutcome.Impossible, f, [], [],
                    $"Fulfilment {f.Id} is {FulfilmentLifecycle.Name(d.From)}: {d.Reason}.", "type");
            }
        }

        if (step == FulfilmentStep.Reject && report.Reason is null)
        {
            return BookChange.Refused(FulfilmentReportOutcome.Invalid, "is required for a rejection: notFound, damaged, noCapacity or other.", "reason", f);
        }

        if (step == FulfilmentStep.Collect && f.PickupCode is { } code && !Same(code, report.PickupCode))
        {
            return WrongCode(f, report, now, doer, newCode);
        }

        Version++;
        var typeName = Name(report.Type);
        if (decision is { Outcome: StepOutcome.AlreadyPast } && reversal is null)
        {
            f.History.Add(new FulfilmentHistoryEntry(now, typeName, doer.Actor, $"reported after {FulfilmentLifecycle.Name(f.Status)}; nothing changed", report.EventId, doer.Name));
            Reports[report.EventId] = fingerprint + "\n" + f.Id;
            return new BookChange(FulfilmentReportOutcome.AlreadyPast, f, [], []);
        }

        var before = HeldMap();
        var target = Divide(f, fromOpen, fromCancelled, now, doer);
        var entered = decision?.Outcome == StepOutcome.Applied ? decision.Entered : reversal!.Entered;
        var movements = new List<StockStep>();
        var resource = new List<FulfilmentLine>();
        // Only units a cancellation released may be allocated again on the way out; any other shortfall is the
        // books disagreeing with the shelf, which must surface rather than be papered over.
        var releasedAt = fromCancelled.Count > 0 ? Holder(target.Mode, target.CancelledFrom, target) : null;
        if (fromCancelled.Count > 0)
        {
            target.Cancelled = [];
            Happen(now, EventTypes.OrderCancellationReversed, doer,
                $"{Describe(fromCancelled)} {typeName} after their cancellation; the cancellation is reversed",
                new { orderId = OrderId, fulfilmentId = target.Id, lines = fromCancelled, reportedAs = typeName });
        }

        foreach (var status in entered)
        {
            var details = status switch
            {
                FulfilmentStatus.Rejected => $"{Name(report.Reason!.Value)}" + (report.Note is { } note ? $": {note}" : ""),
                FulfilmentStatus.Shipped when report.TrackingNumber is not null => $"{report.Carrier} {report.TrackingNumber}".Trim(),
                _ => Describe(target.Open()),
            };
            var implied = status != entered[^1];
            target.Status = status;
            if (status == FulfilmentStatus.Delivered && target.Promise is { } promised)
            {
                // The carrier's scan time when the report carries one: a feed that reports a day late must not make a parcel late.
                target.PromiseResult = DeliveryPromiser.Judge(promised, report.OccurredAt ?? now);
                details += $"; {Name(target.PromiseResult.Outcome)} against the promise of {Window(promised)}";
            }

            target.History.Add(new FulfilmentHistoryEntry(now, FulfilmentLifecycle.Name(status), doer.Actor,
                implied ? $"implied by {typeName}" : details, report.EventId, doer.Name));

            switch (status)
            {
                case FulfilmentStatus.Shipped:
                    target.Shipment = new Shipment(report.Carrier, report.Service, report.TrackingNumber, report.TrackingUrl, now);
                    movements.AddRange(Physical(target, PhysicalMovement.Shipped, target.LocationId, report.EventId, releasedAt == target.LocationId));
                    break;
                case FulfilmentStatus.Received:
                    movements.AddRange(Physical(target, PhysicalMovement.TransferReceived, target.PickupLocationId!, report.EventId, false));
                    break;
                case FulfilmentStatus.Collected:
                    movements.AddRange(Physical(target, PhysicalMovement.Collected, target.CounterLocation!, report.EventId, releasedAt == target.CounterLocation));
                    break;
                case FulfilmentStatus.Delivered when Intercepts.FirstOrDefault(i => i.FulfilmentId == f.Id && !i.Failed && !i.Returned) is { } intercept:
                    intercept.Failed = true;
                    target.History.Add(new FulfilmentHistoryEntry(now, "interceptFailed", doer.Actor, "delivered before the carrier could stop it", report.EventId, doer.Name));
                    Happen(now, EventTypes.FulfilmentInterceptFailed, doer, $"{f.Id} could not be intercepted: delivered; the customer may return it",
                        new { orderId = OrderId, fulfilment = target.View(), lines = target.Open() });
                    break;
                case FulfilmentStatus.ReadyForPickup:
                    target.PickupCode = newCode();
                    target.CollectBy = now + holdForPickup;
                    break;
                case FulfilmentStatus.Rejected:
                    target.RejectionReason = report.Reason;
                    movements.AddRange(report.Reason switch
                    {
                        RejectionReason.NotFound => Physical(target, PhysicalMovement.WrittenOff, target.LocationId, report.EventId, false),
                        RejectionReason.Damaged => Physical(target, PhysicalMovement.Quarantined, target.LocationId, report.EventId, false),
                        _ => [],
                    });
                    resource.AddRange(Unsourced(target, now, doer));
                    break;
            }

            Happen(now, "fulfilment." + FulfilmentLifecycle.Name(status), doer,
                $"{target.Id} {FulfilmentLifecycle.Name(status)}" + (implied ? $" (implied by {typeName})" : $": {details}"),
                new
                {
                    orderId = OrderId,
                    fulfilment = target.View(),
                    lines = target.Open(),
                    implied,
                    promisedDelivery = status == FulfilmentStatus.Delivered ? target.Promise : null,
                    promiseResult = status == FulfilmentStatus.Delivered ? target.PromiseResult : null,
                    reason = status == FulfilmentStatus.Rejected ? report.Reason : null,
                    note = status == FulfilmentStatus.Rejected ? report.Note : null,
                });
        }

        Reports[report.EventId] = fingerprint + "\n" + target.Id;
        return new BookChange(FulfilmentReportOutcome.Applied, target, Reconcile(before, movements), resource);
    }

    /// <summary>
    /// A location shipped a request the OMS had already timed out (its WMS was slow to say so): the parcel left, so
    /// the shipment stands. Its units are taken back from where the timeout sent them (waiting as unfulfillable,
    /// or a replacement fulfilment not yet shipped, which is then told it is cancelled), and they leave this
    /// location's books. If the replacement has shipped too, the customer gets the units twice: the stock still
    /// follows the parcel, and the order needs a person.
    /// </summary>
    private BookChange ShippedAfterTimeout(LiveFulfilment f, FulfilmentReport report, string fingerprint, DateTimeOffset now, Doer doer)
    {
        var (covered, _, error) = FulfilmentSplit.Divide(f.Open(), report.Lines);
        if (error is not null)
        {
            return BookChange.Refused(FulfilmentReportOutcome.Invalid, error.Message, error.Field, f);
        }

        Version++;
        var before = HeldMap();
        var late = $"shipped after its acceptance deadline had passed and it was re-sourced";
        var replacements = Fulfilments.Where(g => g != f && FulfilmentLifecycle.IsCancellable(g.Mode, g.Status) && g.Mode != FulfilmentMode.Pickup).Reverse().ToList();
        var shortfall = covered.Any(l => Unfulfillable.GetValueOrDefault(l.LineId) + replacements.Sum(g => g.OpenUnits(l.LineId)) < l.Quantity);
        if (shortfall)
        {
            var parcel = Divide(f, [.. covered], [], now, doer);
            parcel.History.Add(new FulfilmentHistoryEntry(now, "shipped", doer.Actor, $"{late}; its replacement had shipped too", report.EventId, doer.Name));
            NeedsAttention = $"{parcel.Id} {late}, and its replacement had shipped too: the customer gets {Describe(covered)} twice";
            Happen(now, EventTypes.OrderNeedsAttention, doer, NeedsAttention, new { reason = NeedsAttention, lines = covered });
            Reports[report.EventId] = fingerprint + "\n" + parcel.Id;
            return new BookChange(FulfilmentReportOutcome.Applied, parcel, Reconcile(before, [.. Physical(parcel, PhysicalMovement.Shipped, parcel.LocationId, report.EventId, true)]), []);
        }

        var target = Divide(f, [.. covered], [], now, doer);
        foreach (var line in covered)
        {
            var rest = line.Quantity;
            var waiting = Math.Min(rest, Unfulfillable.GetValueOrDefault(line.LineId));
            Unfulfillable[line.LineId] = Unfulfillable.GetValueOrDefault(line.LineId) - waiting;
            rest -= waiting;
            foreach (var g in replacements)
            {
                var take = Math.Min(rest, g.OpenUnits(line.LineId));
                if (take == 0)
                {
                    continue;
                }

                rest -= take;
                g.Lines = LiveFulfilment.Add(g.Lines, line.LineId, -take);
                var lines = new List<FulfilmentLine> { new(line.LineId, take) };
                if (g.Open().Count == 0)
                {
                    (g.CancelledFrom, g.Status) = (g.Status, FulfilmentStatus.Cancelled);
                }

                g.History.Add(new FulfilmentHistoryEntry(now, "superseded", doer.Actor, $"{Describe(lines)}: {target.Id} shipped them after all", report.EventId, doer.Name));
                Happen(now, EventTypes.FulfilmentCancelled, doer, $"{g.Id} told: {Describe(lines)} cancelled, {target.Id} shipped them after all",
                    new { orderId = OrderId, fulfilment = g.View(), lines, reason = $"{target.Id} shipped them after all" });
            }
        }

        target.RejectionReason = null;
        var movements = new List<StockStep>();
        var entered = FulfilmentLifecycle.Decide(target.Mode, FulfilmentStatus.Requested, FulfilmentStep.Ship).Entered;
        foreach (var status in entered)
        {
            var implied = status != entered[^1];
            target.Status = status;
            target.History.Add(new FulfilmentHistoryEntry(now, FulfilmentLifecycle.Name(status), doer.Actor, implied ? "implied by shipped" : late, report.EventId, doer.Name));
            if (status == FulfilmentStatus.Shipped)
            {
                target.Shipment = new Shipment(report.Carrier, report.Service, report.TrackingNumber, report.TrackingUrl, now);
                // The timeout released these units here; they are allocated again on their way out.
                movements.AddRange(Physical(target, PhysicalMovement.Shipped, target.LocationId, report.EventId, reclaim: true));
            }

            Happen(now, "fulfilment." + FulfilmentLifecycle.Name(status), doer,
                $"{target.Id} {FulfilmentLifecycle.Name(status)}" + (implied ? " (implied by shipped)" : $": {late}"),
                new { orderId = OrderId, fulfilment = target.View(), lines = target.Open(), implied });
        }

        if (Unfulfillable.Values.All(v => v == 0))
        {
            NeedsAttention = null;
        }

        Reports[report.EventId] = fingerprint + "\n" + target.Id;
        return new BookChange(FulfilmentReportOutcome.Applied, target, Reconcile(before, movements), []);
    }

    /// <summary>
    /// Every wrong code is counted; after <see cref="MaxWrongCodes"/> the parcel gets a new code, sent to the customer
    /// through <c>fulfilment.readyForPickup</c> again, so a million codes cannot be tried five at a time.
    /// </summary>
    private BookChange WrongCode(LiveFulfilment f, FulfilmentReport report, DateTimeOffset now, Doer doer, Func<string> newCode)
    {
        Version++;
        f.WrongCodes++;
        f.History.Add(new FulfilmentHistoryEntry(now, "collected", doer.Actor, $"refused: wrong pickup code ({f.WrongCodes} of {MaxWrongCodes})", report.EventId, doer.Name));
        if (f.WrongCodes >= MaxWrongCodes)
        {
            (f.PickupCode, f.WrongCodes) = (newCode(), 0);
            f.History.Add(new FulfilmentHistoryEntry(now, "readyForPickup", "system", $"a new pickup code, after {MaxWrongCodes} wrong ones"));
            Happen(now, EventTypes.FulfilmentReadyForPickup, new Doer("system", null), $"{f.Id} has a new pickup code after {MaxWrongCodes} wrong ones",
                new { orderId = OrderId, fulfilment = f.View(), lines = f.Open(), implied = false, reissued = true });
        }

        return new BookChange(FulfilmentReportOutcome.WrongPickupCode, f, [], [],
            report.PickupCode is null ? "is required: the code the customer was given when the parcel was ready." : "does not match the code issued for this parcel.",
            "pickupCode");
    }

    /// <summary>Constant time, so a store app cannot learn a code digit by digit from response times.</summary>
    private static bool Same(string expected, string? given) =>
        given is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(given));

    private static FulfilmentStep Step(FulfilmentReportType type) => type switch
    {
        FulfilmentReportType.Accepted => FulfilmentStep.Accept,
        FulfilmentReportType.Rejected => FulfilmentStep.Reject,
        FulfilmentReportType.Packed => FulfilmentStep.Pack,
        FulfilmentReportType.Shipped => FulfilmentStep.Ship,
        FulfilmentReportType.Delivered => FulfilmentStep.Deliver,
        FulfilmentReportType.Received => FulfilmentStep.Receive,
        FulfilmentReportType.ReadyForPickup => FulfilmentStep.ReadyForPickup,
        _ => FulfilmentStep.Collect,
    };

    /// <summary>Where a fulfilment's units were held in <paramref name="status"/> (what a cancellation there released).</summary>
    private static string? Holder(FulfilmentMode mode, FulfilmentStatus status, LiveFulfilment f) =>
        new LiveFulfilment { Mode = mode, Status = status, LocationId = f.LocationId, PickupLocationId = f.PickupLocationId }.Holder;

    /// <summary>
    /// The report covers only part of <paramref name="f"/>: that part becomes a fulfilment of its own, and the rest
    /// stays under the original id, where the location keeps reporting on it.
    /// </summary>
    private LiveFulfilment Divide(LiveFulfilment f, List<FulfilmentLine> fromOpen, List<FulfilmentLine> fromCancelled, DateTimeOffset now, Doer doer)
    {
        var everything = f.Open().Sum(l => l.Quantity) == fromOpen.Sum(l => l.Quantity)
            && f.Cancelled.Sum(l => l.Quantity) == fromCancelled.Sum(l => l.Quantity);
        if (everything)
        {
            return f;
        }

        var part = new LiveFulfilment
        {
            Id = $"{f.Id}-{++f.Splits}",
            LocationId = f.LocationId,
            Mode = f.Mode,
            Status = fromOpen.Count > 0 ? f.Status : FulfilmentStatus.Cancelled,
            CancelledFrom = f.CancelledFrom,
            Explanation = f.Explanation,
            PickupLocationId = f.PickupLocationId,
            RequestedAt = f.RequestedAt,
            AcceptBy = f.AcceptBy,
            CollectBy = f.CollectBy,
            PickupCode = f.PickupCode,
            Shipment = f.Shipment,
            RejectionReason = f.RejectionReason,
            SplitFrom = f.Id,
            Promise = f.Promise,
            PromiseResult = f.PromiseResult,
            History = [.. f.History, new FulfilmentHistoryEntry(now, "divided", doer.Actor, $"{Describe([.. fromOpen, .. fromCancelled])} from {f.Id}", null, doer.Name)],
        };
        foreach (var line in fromOpen.Concat(fromCancelled))
        {
            part.Lines = LiveFulfilment.Add(part.Lines, line.LineId, line.Quantity);
            f.Lines = LiveFulfilment.Add(f.Lines, line.LineId, -line.Quantity);
        }

        foreach (var line in fromCancelled)
        {
            part.Cancelled = LiveFulfilment.Add(part.Cancelled, line.LineId, line.Quantity);
            f.Cancelled = LiveFulfilment.Add(f.Cancelled, line.LineId, -line.Quantity);
        }

        if (f.Open().Count == 0 && f.Cancelled.Count > 0)
        {
            f.Status = FulfilmentStatus.Cancelled;
        }

        Fulfilments.Insert(Fulfilments.IndexOf(f) + 1, part);
        return part;
    }

    private IEnumerable<StockStep> Physical(LiveFulfilment f, PhysicalMovement movement, string locationId, string eventId, bool reclaim) =>
        f.Open().Select(l => new StockStep(locationId, Line(l.LineId).Sku, l.LineId, l.Quantity, movement,
            $"{OrderId}/{f.Id}/{Name(movement)}/{l.LineId}/{eventId}", reclaim));

    /// <summary>
    /// The absolute allocations that bring every touched stock item to what the book now says, after the physical
    /// movements (which move allocations themselves) are made.
    /// </summary>
    public List<StockStep> Reconcile(Dictionary<(string LineId, string LocationId), int> before, List<StockStep> movements, bool withTentative = false)
    {
        var simulated = new Dictionary<(string, string), int>(before);
        foreach (var m in movements)
        {
            var key = (m.LineId, m.LocationId);
            var held = simulated.GetValueOrDefault(key);
            simulated[key] = m.Movement == PhysicalMovement.TransferReceived ? held + m.Quantity
                : m.Reclaim ? Math.Max(0, held - m.Quantity)
                : held - m.Quantity;
        }

        var after = HeldMap(withTentative);
        var steps = new List<StockStep>(movements);
        foreach (var key in simulated.Keys.Union(after.Keys).Distinct().OrderBy(k => k.Item2, StringComparer.Ordinal).ThenBy(k => k.Item1, StringComparer.Ordinal))
        {
            var want = after.GetValueOrDefault(key);
            if (simulated.GetValueOrDefault(key) != want)
            {
                steps.Add(new StockStep(key.Item2, Line(key.Item1).Sku, key.Item1, want));
            }
        }

        return steps;
    }

    /// <summary>The fulfilment's open units have no location now: they wait as unfulfillable until sourced again.</summary>
    private List<FulfilmentLine> Unsourced(LiveFulfilment f, DateTimeOffset now, Doer doer)
    {
        var lines = f.Open();
        foreach (var line in lines)
        {
            Unfulfillable[line.LineId] = Unfulfillable.GetValueOrDefault(line.LineId) + line.Quantity;
            var rejecters = Rejecters.TryGetValue(line.LineId, out var list) ? list : Rejecters[line.LineId] = [];
            if (!rejecters.Contains(f.LocationId))
            {
                rejecters.Add(f.LocationId);
            }
        }

        ResourceDue = true;
        return lines;
    }

    // ---- Deadlines ------------------------------------------------------------------------------------------

    public DateTimeOffset? NextDeadline() => Fulfilments
        .Select(f => f.Status == FulfilmentStatus.Requested ? f.AcceptBy : f.Status == FulfilmentStatus.ReadyForPickup ? f.CollectBy : null)
        .Where(d => d is not null)
        .Min();

    /// <summary>Rejects (as timed out) every request not accepted in time, and expires every parcel not collected in time.</summary>
    public BookChange Deadlines(DateTimeOffset now)
    {
        var before = HeldMap();
        var resource = new List<FulfilmentLine>();
        var doer = new Doer("system", null);
        var changed = false;
        List<(Diagnostics.SlaDeadline, FulfilmentMode)>? lapsed = null;
        foreach (var f in Fulfilments.ToList())
        {
            if (f.Status == FulfilmentStatus.Requested && f.AcceptBy <= now)
            {
                (lapsed ??= []).Add((Diagnostics.SlaDeadline.Accept, f.Mode));
                if (!changed)
                {
                    Version++;
                    changed = true;
                }

                f.Status = FulfilmentStatus.Rejected;
                f.RejectionReason = RejectionReason.Timeout;
                f.History.Add(new FulfilmentHistoryEntry(now, "rejected", "system", $"not accepted by {f.AcceptBy:u}"));
                Happen(now, EventTypes.FulfilmentRejected, doer, $"{f.Id} rejected: timeout (not accepted by {f.AcceptBy:u})",
                    new { orderId = OrderId, fulfilment = f.View(), lines = f.Open(), implied = false, reason = RejectionReason.Timeout });
                resource.AddRange(Unsourced(f, now, doer));
            }
            else if (f.Status == FulfilmentStatus.ReadyForPickup && f.CollectBy <= now)
            {
                (lapsed ??= []).Add((Diagnostics.SlaDeadline.Collect, f.Mode));
                if (!changed)
                {
                    Version++;
                    changed = true;
                }

                f.Status = FulfilmentStatus.Expired;
                f.History.Add(new FulfilmentHistoryEntry(now, "expired", "system", $"not collected by {f.CollectBy:u}"));
                var lines = f.Open();
                Happen(now, EventTypes.FulfilmentExpired, doer, $"{f.Id} expired: not collected by {f.CollectBy:u}",
                    new { orderId = OrderId, fulfilment = f.View(), lines });
                RaiseCancellation(now, doer, "not collected in time", lines);
            }
        }

        return changed ? new BookChange(FulfilmentReportOutcome.Applied, null, Reconcile(before, []), resource, Lapsed: lapsed) : new BookChange(FulfilmentReportOutcome.AlreadyPast, null, [], []);
    }

    private void RaiseCancellation(DateTimeOffset now, Doer doer, string reason, IReadOnlyList<FulfilmentLine> lines)
    {
        var all = Units().All(u => u.Cancelled == Line(u.LineId).Quantity);
        Happen(now, all ? EventTypes.OrderCancelled : EventTypes.OrderLinesCancelled, doer, $"{reason}: {Describe(lines)}",
            new { reason, lines });
        if (Unfulfillable.Values.All(v => v == 0) && NeedsAttention is not null)
        {
            NeedsAttention = null;
        }
    }

    // ---- Cancellation ---------------------------------------------------------------------------------------

    /// <summary>Units the customer may still cancel: unfulfillable ones, and those in fulfilments not yet shipped (or collected).</summary>
    public int Cancellable(string lineId) => Unfulfillable.GetValueOrDefault(lineId)
        + Fulfilments.Where(f => FulfilmentLifecycle.IsCancellable(f.Mode, f.Status)).Sum(f => f.OpenUnits(lineId));

    public (BookChange Change, CancelOutcome Outcome) Cancel(CancelOrder request, DateTimeOffset now, Doer doer)
    {
        // As the order grain fingerprinted cancellations before fulfilment took them over, so its keys still replay.
        var fingerprint = JsonSerializer.Serialize(request with { Actor = "" }, Hosting.JsonGrainStateSerializer.Options);
        if (Cancellations.TryGetValue(request.CancellationId, out var seen))
        {
            return seen == fingerprint
                ? (new BookChange(FulfilmentReportOutcome.Replayed, null, [], []), CancelOutcome.Replayed)
                : (BookChange.Refused(FulfilmentReportOutcome.KeyConflict, "This idempotency key was already used for a different cancellation.", "Idempotency-Key"), CancelOutcome.KeyConflict);
        }

        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        var onTheirWay = new Dictionary<string, int>(StringComparer.Ordinal);
        if (request.Lines is null)
        {
            foreach (var line in Request!.Lines)
            {
                wanted[line.LineId] = Cancellable(line.LineId);
            }

            if (wanted.Values.Sum() == 0 && !Interceptable().Any())
            {
                var message = Units().All(u => u.Cancelled == Line(u.LineId).Quantity)
                    ? "The order is already cancelled."
                    : "Nothing is left to cancel: every remaining unit has shipped or been collected.";
                return (BookChange.Refused(FulfilmentReportOutcome.Impossible, message, "orderId"), CancelOutcome.NotCancellable);
            }
        }
        else
        {
            for (var i = 0; i < request.Lines.Count; i++)
            {
                var line = request.Lines[i];
                if (Request!.Lines.All(l => l.LineId != line.LineId))
                {
                    return (Invalid($"lines[{i}].lineId", $"the order has no line '{line.LineId}'."), CancelOutcome.Invalid);
                }

                if (wanted.ContainsKey(line.LineId))
                {
                    return (Invalid($"lines[{i}].lineId", "appears more than once."), CancelOutcome.Invalid);
                }

                var cancellable = Cancellable(line.LineId);
                var stoppable = cancellable + Interceptable().Sum(f => f.OpenUnits(line.LineId));
                var units = UnitsOf(line.LineId);
                var notCancelled = Line(line.LineId).Quantity - units.Cancelled;
                if (line.Quantity > stoppable && line.Quantity <= notCancelled)
                {
                    var gone = notCancelled - stoppable;
                    return (BookChange.Refused(FulfilmentReportOutcome.Impossible,
                        $"Line {line.LineId}: only {stoppable} of its units can still be cancelled; {gone} were delivered, collected or are already being intercepted. Return them instead.",
                        $"lines[{i}].quantity"), CancelOutcome.NotCancellable);
                }

                if (line.Quantity < 1 || line.Quantity > stoppable)
                {
                    return (Invalid($"lines[{i}].quantity", $"must be between 1 and {stoppable}, what can still be cancelled on that line."), CancelOutcome.Invalid);
                }

                wanted[line.LineId] = Math.Min(line.Quantity, cancellable);
                if (line.Quantity > cancellable)
                {
                    onTheirWay[line.LineId] = line.Quantity - cancellable;
                }
            }
        }

        List<LiveFulfilment>? parcels = request.Lines is null ? [.. Interceptable()] : Parcels(onTheirWay);
        if (parcels is null)
        {
            var parcel = Interceptable().First(f => onTheirWay.Keys.Any(l => f.OpenUnits(l) > 0));
            return (BookChange.Refused(FulfilmentReportOutcome.Impossible,
                $"Those units are on their way in parcels that carry more: the carrier stops a whole parcel, and {parcel.Id} carries {Describe(parcel.Open())}. Cancel exactly what the parcels carry, or return the rest once delivered.",
                "lines"), CancelOutcome.NotCancellable);
        }

        Version++;
        var before = HeldMap();
        var touched = new List<(LiveFulfilment F, List<FulfilmentLine> Lines)>();
        var cancelledLines = new List<FulfilmentLine>();
        foreach (var (lineId, units) in wanted.Where(w => w.Value > 0))
        {
            var rest = units;
            var loose = Math.Min(rest, Unfulfillable.GetValueOrDefault(lineId));
            if (loose > 0)
            {
                Unfulfillable[lineId] -= loose;
                LooseCancelled[lineId] = LooseCancelled.GetValueOrDefault(lineId) + loose;
                rest -= loose;
            }

            // The newest fulfilment first: the units least far along are the cheapest to stop.
            foreach (var f in Enumerable.Reverse(Fulfilments).Where(f => FulfilmentLifecycle.IsCancellable(f.Mode, f.Status)))
            {
                var take = Math.Min(rest, f.OpenUnits(lineId));
                if (take == 0)
                {
                    continue;
                }

                rest -= take;
                f.Cancelled = LiveFulfilment.Add(f.Cancelled, lineId, take);
                var entry = touched.FirstOrDefault(t => t.F == f);
                if (entry.F is null)
                {
                    touched.Add((f, [new FulfilmentLine(lineId, take)]));
                }
                else
                {
                    entry.Lines.Add(new FulfilmentLine(lineId, take));
                }
            }

            cancelledLines.Add(new FulfilmentLine(lineId, units));
        }

        foreach (var (f, lines) in touched)
        {
            f.CancelledFrom = f.Status;
            if (f.Open().Count == 0)
            {
                f.Status = FulfilmentStatus.Cancelled;
            }

            f.History.Add(new FulfilmentHistoryEntry(now, "cancelled", doer.Actor, $"{request.Reason}: {Describe(lines)}", null, doer.Name));
            Happen(now, EventTypes.FulfilmentCancelled, doer, $"{f.Id} told: {Describe(lines)} cancelled",
                new { orderId = OrderId, fulfilment = f.View(), lines, reason = request.Reason });
        }

        foreach (var parcel in parcels)
        {
            var lines = parcel.Open();
            Intercepts.Add(new Intercept
            {
                FulfilmentId = parcel.Id, LocationId = parcel.LocationId, Lines = lines, At = now, Reason = request.Reason, Actor = doer.Actor,
            });
            parcel.History.Add(new FulfilmentHistoryEntry(now, "interceptRequested", doer.Actor, $"{request.Reason}: {Describe(lines)}", null, doer.Name));
            Happen(now, EventTypes.FulfilmentInterceptRequested, doer,
                $"{parcel.Id} to be intercepted: {Describe(lines)} on their way with {parcel.Shipment?.Carrier} {parcel.Shipment?.TrackingNumber}".TrimEnd(),
                new { orderId = OrderId, fulfilment = parcel.View(), lines, shipment = parcel.Shipment, reason = request.Reason });
        }

        Cancellations[request.CancellationId] = fingerprint;
        if (cancelledLines.Count > 0)
        {
            RaiseCancellation(now, doer, request.Reason, cancelledLines);
        }

        return (new BookChange(FulfilmentReportOutcome.Applied, null, Reconcile(before, []), []), CancelOutcome.Cancelled);
    }

    private static BookChange Invalid(string field, string message) => BookChange.Refused(FulfilmentReportOutcome.Invalid, message, field);

    // ---- Exchanges ------------------------------------------------------------------------------------------

    /// <summary>Exchanges per order: a customer swaps a size a few times at most; a loop must not grow the order.</summary>
    public const int MaxExchanges = 20;

    /// <summary>
    /// Begins an exchange: its replacement lines join the request (so they can be sourced and allocated like any
    /// line), under new line ids; nothing is committed until <see cref="CommitExchange"/>.
    /// </summary>
    /// <returns>The field and why the exchange is refused, or null.</returns>
    public (string Field, string Message)? StartExchange(CreateExchange request, string fingerprint, DateTimeOffset now)
    {
        if (Exchanges.Count >= MaxExchanges)
        {
            return ("orderId", $"this order has had {MaxExchanges} exchanges; no more are taken.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Lines.Count; i++)
        {
            var line = request.Lines[i];
            if (Request!.Lines.All(l => l.LineId != line.LineId))
            {
                return ($"lines[{i}].lineId", $"the order has no line '{line.LineId}'.");
            }

            if (!seen.Add(line.LineId))
            {
                return ($"lines[{i}].lineId", "appears more than once.");
            }
        }

        var exchange = new Exchange
        {
            Id = $"X{Exchanges.Count + 1}", Key = request.Key, Fingerprint = fingerprint, Mode = request.Mode, CreatedAt = now,
        };
        var added = new List<OrderLine>();
        foreach (var line in request.Lines)
        {
            var newId = NewLineId(exchange.Id, line.LineId);
            exchange.Lines.Add(new ExchangedLine
            {
                LineId = line.LineId, Quantity = line.Quantity, NewLineId = newId, NewSku = line.NewSku, UnitPrice = line.UnitPrice, Reason = line.Reason,
            });
            added.Add(new OrderLine(newId, line.NewSku, line.Quantity, line.UnitPrice, Line(line.LineId).Currency));
        }

        Request = Request! with { Lines = [.. Request.Lines, .. added] };
        PendingExchange = exchange;
        return null;
    }

    /// <summary>A line id for the replacement that no line of the order has, within the id rule's length.</summary>
    private string NewLineId(string exchangeId, string lineId)
    {
        var suffix = $"-{exchangeId.ToLowerInvariant()}";
        var id = (lineId.Length + suffix.Length > Oms.Contracts.Ids.MaxLength ? lineId[..(Oms.Contracts.Ids.MaxLength - suffix.Length)] : lineId) + suffix;
        for (var n = 2; Request!.Lines.Any(l => l.LineId == id); n++)
        {
            id = $"{exchangeId}-{n}";
        }

        return id;
    }

    /// <summary>The exchange could not be placed: its lines leave the request as if never added.</summary>
    public void AbandonExchange()
    {
        if (PendingExchange is { } exchange)
        {
            var added = exchange.Lines.Select(l => l.NewLineId).ToHashSet(StringComparer.Ordinal);
            Request = Request! with { Lines = [.. Request.Lines.Where(l => !added.Contains(l.LineId))] };
        }

        PendingExchange = null;
        Tentative = null;
    }

    /// <summary>The replacement is allocated and its return held: its fulfilments go live, released or on hold.</summary>
    public void CommitExchange(DateTimeOffset now, Doer doer, string? returnId)
    {
        var exchange = PendingExchange!;
        Version++;
        exchange.ReturnId = returnId;
        foreach (var f in Tentative!)
        {
            if (exchange.Mode == ExchangeMode.AfterReturn)
            {
                f.Status = FulfilmentStatus.OnHold;
                f.AcceptBy = null;
                f.History = [new FulfilmentHistoryEntry(now, "onHold", doer.Actor, $"exchange {exchange.Id}: held until the return arrives", null, doer.Name)];
            }

            exchange.FulfilmentIds.Add(f.Id);
            Fulfilments.Add(f);
        }

        Exchanges.Add(exchange);
        PendingExchange = null;
        Tentative = null;
        var view = View(exchange);
        Happen(now, EventTypes.ExchangeCreated, doer,
            $"exchange {exchange.Id}: {string.Join(", ", exchange.Lines.Select(l => $"line {l.LineId} x{l.Quantity} for {l.NewSku} (line {l.NewLineId})"))}, {Name(exchange.Mode)}",
            new { orderId = OrderId, exchange = view });
        if (exchange.Mode == ExchangeMode.Advance)
        {
            foreach (var f in Fulfilments.Where(f => exchange.FulfilmentIds.Contains(f.Id)))
            {
                Happen(now, EventTypes.FulfilmentRequested, doer, $"{f.Id} {Name(f.Mode)} from {f.LocationId}: {Describe(f.Lines)}; exchange {exchange.Id}",
                    new { orderId = OrderId, fulfilment = f.View(), lines = f.Lines, exchangeId = exchange.Id });
            }
        }
    }

    public ExchangeView View(Exchange exchange) => new(
        exchange.Id, OrderId, exchange.Mode, exchange.Status,
        [.. exchange.Lines.Select(l => new ExchangeLineView(l.LineId, l.Quantity, l.NewLineId, l.NewSku, l.UnitPrice, l.Reason))],
        [.. exchange.FulfilmentIds], exchange.Difference(id => Line(id).UnitPrice), exchange.CreatedAt, exchange.ReturnId);

    /// <summary>The exchange's return arrived (release the held replacement) or never will (cancel it).</summary>
    public BookChange Settle(IReadOnlyList<string> released, IReadOnlyList<string> dropped, DateTimeOffset now, Func<string, TimeSpan> acceptWithin)
    {
        var doer = new Doer("system", null);
        var before = HeldMap();
        var changed = false;
        foreach (var exchange in Exchanges.Where(x => x.Status == ExchangeStatus.Created && x.Mode == ExchangeMode.AfterReturn))
        {
            var release = released.Contains(exchange.Id);
            if (!release && !dropped.Contains(exchange.Id))
            {
                continue;
            }

            if (!changed)
            {
                Version++;
                changed = true;
            }

            exchange.Status = release ? ExchangeStatus.Released : ExchangeStatus.Dropped;
            var lines = new List<FulfilmentLine>();
            foreach (var f in Fulfilments.Where(f => exchange.FulfilmentIds.Contains(f.Id) && f.Status == FulfilmentStatus.OnHold))
            {
                if (release)
                {
                    f.Status = FulfilmentStatus.Requested;
                    f.RequestedAt = now;
                    f.AcceptBy = now + acceptWithin(f.LocationId);
                    f.History.Add(new FulfilmentHistoryEntry(now, "requested", "system", $"exchange {exchange.Id}: the return arrived"));
                    Happen(now, EventTypes.FulfilmentRequested, doer, $"{f.Id} {Name(f.Mode)} from {f.LocationId}: {Describe(f.Open())}; exchange {exchange.Id}'s return arrived",
                        new { orderId = OrderId, fulfilment = f.View(), lines = f.Open(), exchangeId = exchange.Id });
                    continue;
                }

                foreach (var line in f.Open())
                {
                    f.Cancelled = LiveFulfilment.Add(f.Cancelled, line.LineId, line.Quantity);
                    lines = LiveFulfilment.Add(lines, line.LineId, line.Quantity);
                }

                f.CancelledFrom = FulfilmentStatus.OnHold;
                f.Status = FulfilmentStatus.Cancelled;
                f.History.Add(new FulfilmentHistoryEntry(now, "cancelled", "system", $"exchange {exchange.Id}: the return did not arrive in time"));
            }

            if (lines.Count > 0)
            {
                RaiseCancellation(now, doer, $"exchange {exchange.Id}: the return did not arrive in time", lines);
            }
        }

        return changed ? new BookChange(FulfilmentReportOutcome.Applied, null, Reconcile(before, []), []) : new BookChange(FulfilmentReportOutcome.AlreadyPast, null, [], []);
    }

    // ---- Intercepts -----------------------------------------------------------------------------------------

    /// <summary>Parcels on their way to the customer that no intercept has been asked for yet.</summary>
    private IEnumerable<LiveFulfilment> Interceptable() => Fulfilments.Where(f =>
        f.Mode == FulfilmentMode.Ship && f.Status == FulfilmentStatus.Shipped && f.Open().Count > 0 && Intercepts.All(i => i.FulfilmentId != f.Id));

    /// <summary>
    /// The parcels (newest first) that carry exactly <paramref name="units"/>; null when they carry more, since a
    /// carrier stops a whole parcel, never part of one.
    /// </summary>
    private List<LiveFulfilment>? Parcels(Dictionary<string, int> units)
    {
        var chosen = new List<LiveFulfilment>();
        foreach (var (lineId, wanted) in units)
        {
            var covered = chosen.Sum(f => f.OpenUnits(lineId));
            foreach (var f in Enumerable.Reverse(Interceptable().ToList()).Where(f => f.OpenUnits(lineId) > 0 && !chosen.Contains(f)))
            {
                if (covered >= wanted)
                {
                    break;
                }

                chosen.Add(f);
                covered += f.OpenUnits(lineId);
            }
        }

        var carried = chosen.SelectMany(f => f.Open()).GroupBy(l => l.LineId).ToDictionary(g => g.Key, g => g.Sum(l => l.Quantity));
        return carried.Count == units.Count && carried.All(c => units.GetValueOrDefault(c.Key) == c.Value) ? chosen : null;
    }

    /// <summary>Parcels the carrier brought back to where they came from: their units are cancelled, as the customer asked.</summary>
    public BookChange InterceptsReturned(IReadOnlyList<string> fulfilmentIds, DateTimeOffset now)
    {
        var doer = new Doer("system", null);
        var before = HeldMap();
        var back = Intercepts.Where(i => fulfilmentIds.Contains(i.FulfilmentId) && !i.Returned && !i.Failed).ToList();
        if (back.Count == 0)
        {
            return new BookChange(FulfilmentReportOutcome.AlreadyPast, null, [], []);
        }

        Version++;
        var lines = new List<FulfilmentLine>();
        foreach (var intercept in back)
        {
            intercept.Returned = true;
            var f = Find(intercept.FulfilmentId)!;
            var open = f.Open();
            foreach (var line in open)
            {
                f.Cancelled = LiveFulfilment.Add(f.Cancelled, line.LineId, line.Quantity);
                lines = LiveFulfilment.Add(lines, line.LineId, line.Quantity);
            }

            f.CancelledFrom = f.Status;
            f.Status = FulfilmentStatus.Cancelled;
            f.History.Add(new FulfilmentHistoryEntry(now, "cancelled", doer.Actor, $"intercepted and received back at {f.LocationId}: {Describe(open)}"));
        }

        RaiseCancellation(now, doer, "intercepted parcel received back", lines);
        return new BookChange(FulfilmentReportOutcome.Applied, null, Reconcile(before, []), []);
    }

    /// <summary>What after-care needs: the order, the units that reached the customer and when, and what was undone.</summary>
    public AftercareFacts Aftercare()
    {
        var handed = Fulfilments.Where(f => f.Status is FulfilmentStatus.Delivered or FulfilmentStatus.Collected)
            .SelectMany(f =>
            {
                var at = f.History.LastOrDefault(h => h.Status is "delivered" or "collected")?.At ?? PlacedAt;
                return f.Open().Select(l => new HandedUnits(l.LineId, l.Quantity, at));
            });
        var expired = new Dictionary<string, int>(StringComparer.Ordinal);
        var cancelled = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in Request!.Lines)
        {
            var gone = Fulfilments.Where(f => f.Status == FulfilmentStatus.Expired).Sum(f => f.OpenUnits(line.LineId));
            var intercepted = Intercepts.Where(i => i.Returned).Sum(i => LiveFulfilment.Units(i.Lines, line.LineId));
            expired[line.LineId] = gone;
            cancelled[line.LineId] = UnitsOf(line.LineId).Cancelled - gone - intercepted;
        }

        return new AftercareFacts(Request, [.. handed], cancelled, expired,
            [.. Intercepts.Select(i => new InterceptFact(i.FulfilmentId, i.LocationId, [.. i.Lines.Select(l => new CancelLine(l.LineId, l.Quantity))],
                i.At, i.Failed, i.Returned, i.Reason, i.Actor))],
            [.. Exchanges.Select(x => new ExchangeFact(x.Id, x.Mode, x.Status))]);
    }

    /// <summary>
    /// What the returns grain must hear again when it changes (what was undone of a captured order, the intercepts,
    /// the exchanges), with the facts it is drawn from; null when nothing concerns it, so an uncaptured order's
    /// reports cost no call.
    /// </summary>
    public (string Signature, AftercareFacts Facts)? AftercareNews()
    {
        if (!Request!.PaymentCaptured && Intercepts.Count == 0 && Exchanges.Count == 0)
        {
            return null;
        }

        var facts = Aftercare();
        return (JsonSerializer.Serialize(new { facts.Cancelled, facts.Expired, facts.Intercepts, facts.Exchanges }, EventJson.Options), facts);
    }

    /// <summary>Boutiques whose ship-from-store slot this order no longer uses: nothing of it ships from there.</summary>
    public List<string> UnusedShipSlots() => [.. ShipSlots.Where(b => !Fulfilments.Any(f => f.LocationId == b && f.Mode == FulfilmentMode.Ship
        && f.Status is not (FulfilmentStatus.Rejected or FulfilmentStatus.Cancelled)))];

    // ---- Re-sourcing ----------------------------------------------------------------------------------------

    /// <summary>The units waiting for a location, as lines to source.</summary>
    public IReadOnlyList<FulfilmentLine> Waiting() => [.. Unfulfillable.Where(u => u.Value > 0).Select(u => new FulfilmentLine(u.Key, u.Value))];

    /// <summary>Every location that rejected one of <paramref name="lines"/>, with why it is not asked again.</summary>
    public Dictionary<string, string> Excluded(IEnumerable<FulfilmentLine> lines)
    {
        var excluded = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            foreach (var location in Rejecters.GetValueOrDefault(line.LineId) ?? [])
            {
                excluded.TryAdd(location, $"rejected line {line.LineId} of this order");
            }
        }

        return excluded;
    }

    /// <summary>Names the new fulfilments of a re-sourcing and holds them apart until their units are allocated.</summary>
    /// <param name="pickupLocationId">Where the units are to be collected, when not the order's boutique (a pickup change).</param>
    /// <param name="because">What the history says they were requested for.</param>
    /// <param name="promises">Each new shipment's promise, by the plan's fulfilment id.</param>
    public List<LiveFulfilment> Propose(IReadOnlyList<Fulfilment> plan, DateTimeOffset now, IReadOnlyDictionary<string, TimeSpan> acceptWithin,
        string? pickupLocationId = null, string because = "re-sourced", IReadOnlyDictionary<string, PromisedDelivery>? promises = null)
    {
        Tentative = [.. plan.Select(p =>
        {
            var id = $"F{++Created}";
            return new LiveFulfilment
            {
                Id = id,
                LocationId = p.LocationId,
                Mode = p.Mode,
                Status = FulfilmentStatus.Requested,
                Lines = [.. p.Lines],
                Explanation = p.Explanation,
                PickupLocationId = p.Mode == FulfilmentMode.Ship ? null : pickupLocationId ?? Request!.Delivery.PickupLocationId,
                RequestedAt = now,
                AcceptBy = now + acceptWithin.GetValueOrDefault(p.LocationId, TimeSpan.FromMinutes(30)),
                Promise = promises?.GetValueOrDefault(p.FulfilmentId),
                History = [new FulfilmentHistoryEntry(now, "requested", "system", $"{because}: {p.Explanation.Rule}")],
            };
        })];
        return Tentative;
    }

    /// <summary>The proposed fulfilments' units are allocated: they are live, and no longer waiting.</summary>
    public void Commit(DateTimeOffset now, Doer doer)
    {
        Version++;
        foreach (var f in Tentative!)
        {
            foreach (var line in f.Lines)
            {
                Unfulfillable[line.LineId] -= line.Quantity;
            }

            Fulfilments.Add(f);
            Happen(now, EventTypes.FulfilmentRequested, doer,
                $"{f.Id} {Name(f.Mode)} from {f.LocationId}: {Describe(f.Lines)}; {f.Explanation.Rule}"
                + (f.Explanation.Candidates.Any(c => c.Verdict == "excluded") ? "; excluded " + string.Join(", ", f.Explanation.Candidates.Where(c => c.Verdict == "excluded").Select(c => $"{c.LocationId} ({c.Reason})")) : "")
                + PromiseNote(f),
                new { orderId = OrderId, fulfilment = f.View(), lines = f.Lines });
        }

        Tentative = null;
        ResourceDue = false;
        if (Unfulfillable.Values.All(v => v == 0))
        {
            NeedsAttention = null;
        }
    }

    /// <summary>
    /// The new shipment's promise and, when it replaces one that promised another window for the same lines, the
    /// window it moved from: the timeline is where care sees that a re-sourcing made the parcel later.
    /// </summary>
    private string PromiseNote(LiveFulfilment f)
    {
        if (f.Promise is not { } promise)
        {
            return "";
        }

        var was = Fulfilments.LastOrDefault(g => g != f && g.Promise is not null && g.Lines.Any(l => f.Lines.Any(n => n.LineId == l.LineId)))?.Promise;
        var note = $"; promised {Window(promise)} by {promise.CarrierId} {promise.ServiceId}";
        return was is null || (was.EarliestDelivery, was.LatestDelivery) == (promise.EarliestDelivery, promise.LatestDelivery)
            ? note
            : $"{note}, moved from {Window(was)}";
    }

    private static string Window(PromisedDelivery p) =>
        p.EarliestDelivery == p.LatestDelivery ? $"{p.EarliestDelivery:yyyy-MM-dd}" : $"{p.EarliestDelivery:yyyy-MM-dd} to {p.LatestDelivery:yyyy-MM-dd}";

    /// <summary>No location has the waiting units: the order needs a person.</summary>
    public void Unresolved(DateTimeOffset now, string reason)
    {
        Tentative = null;
        ResourceDue = false;
        var waiting = Waiting();
        var why = $"{Describe(waiting)} unfulfillable: {reason}";
        if (NeedsAttention == why)
        {
            return;
        }

        Version++;
        NeedsAttention = why;
        Happen(now, EventTypes.OrderNeedsAttention, new Doer("system", null), why, new { reason = why, lines = waiting });
    }

    // ---- Changing the pickup boutique -----------------------------------------------------------------------

    /// <summary>
    /// Whether the order may be collected at <paramref name="locationId"/> instead, and what would move: the open
    /// units of every fulfilment not yet ready, and the units waiting for a location, per line. A repeat to the
    /// boutique the order already has is <see cref="PickupChangeOutcome.Unchanged"/>, whatever has happened since.
    /// </summary>
    public PickupChangePlan PlanPickupChange(string locationId)
    {
        var delivery = Request!.Delivery;
        if (delivery.Method != DeliveryMethod.ClickAndCollect)
        {
            return PickupChangePlan.Refused(PickupChangeOutcome.NotClickAndCollect,
                $"Order {OrderId} is delivered by {Name(delivery.Method)}; only a click-and-collect order has a pickup boutique.");
        }

        if (delivery.PickupLocationId == locationId)
        {
            return PickupChangePlan.Refused(PickupChangeOutcome.Unchanged);
        }

        var withdrawn = new List<string>();
        foreach (var f in Fulfilments)
        {
            var (move, why) = FulfilmentLifecycle.OnPickupChange(f.Mode, f.Status);
            if (move == PickupMove.Fixed)
            {
                return PickupChangePlan.Refused(PickupChangeOutcome.TooLate,
                    $"The order stays at {delivery.PickupLocationId}: fulfilment {f.Id} ({Describe(f.Open())}): {why}.");
            }

            if (move == PickupMove.Moves && f.Open().Count > 0)
            {
                withdrawn.Add(f.Id);
            }
        }

        var lines = new List<FulfilmentLine>();
        foreach (var line in Request.Lines)
        {
            var units = Unfulfillable.GetValueOrDefault(line.LineId)
                + Fulfilments.Where(f => withdrawn.Contains(f.Id)).Sum(f => f.OpenUnits(line.LineId));
            if (units > 0)
            {
                lines.Add(new FulfilmentLine(line.LineId, units));
            }
        }

        return lines.Count == 0
            ? PickupChangePlan.Refused(PickupChangeOutcome.NothingToPickUp, $"Nothing of order {OrderId} is left to collect: every unit is cancelled.")
            : new PickupChangePlan(PickupChangeOutcome.Changed, null, lines, withdrawn);
    }

    /// <summary>Names the new boutique's fulfilments and holds them apart, with the change, until their units are allocated.</summary>
    public List<LiveFulfilment> ProposePickup(PickupChangePlan plan, string locationId, string? reason, IReadOnlyList<Fulfilment> sourced,
        DateTimeOffset now, IReadOnlyDictionary<string, TimeSpan> acceptWithin)
    {
        PendingPickup = new PickupChange { From = Request!.Delivery.PickupLocationId ?? "", To = locationId, Reason = reason, Withdrawn = [.. plan.Withdrawn] };
        return Propose(sourced, now, acceptWithin, locationId, $"pickup moved from {PendingPickup.From} to {locationId}");
    }

    /// <summary>The new boutique could not be served after all: nothing changes.</summary>
    public void AbandonPickup()
    {
        PendingPickup = null;
        Tentative = null;
    }

    /// <summary>
    /// The new boutique's units are allocated: the old fulfilments are withdrawn (their locations told, their
    /// allocations released by the returned steps), the new ones go live, and the order is collected there now.
    /// </summary>
    public BookChange CommitPickup(DateTimeOffset now, Doer doer)
    {
        var change = PendingPickup!;
        var before = HeldMap();
        Version++;
        var why = $"pickup moved from {change.From} to {change.To}" + (string.IsNullOrWhiteSpace(change.Reason) ? "" : $": {change.Reason}");
        Happen(now, EventTypes.OrderPickupLocationChanged, doer, why, new
        {
            orderId = OrderId,
            previousLocationId = change.From,
            locationId = change.To,
            reason = change.Reason,
            withdrawn = change.Withdrawn,
            requested = Tentative!.Select(f => f.Id).ToList(),
        });
        foreach (var f in Fulfilments.Where(f => change.Withdrawn.Contains(f.Id)))
        {
            var open = f.Open();
            foreach (var line in open)
            {
                f.Cancelled = LiveFulfilment.Add(f.Cancelled, line.LineId, line.Quantity);
                f.Moved = LiveFulfilment.Add(f.Moved, line.LineId, line.Quantity);
            }

            f.CancelledFrom = f.Status;
            f.Status = FulfilmentStatus.Cancelled;
            f.History.Add(new FulfilmentHistoryEntry(now, "cancelled", doer.Actor, $"{why}: {Describe(open)}", null, doer.Name));
            Happen(now, EventTypes.FulfilmentCancelled, doer, $"{f.Id} told: {Describe(open)} cancelled, {why}",
                new { orderId = OrderId, fulfilment = f.View(), lines = open, reason = why });
        }

        // The waiting units were sourced with the rest (the new boutique is served whole or not at all), and with
        // them goes the attention they called for; a stock disagreement, which no move settles, stays flagged.
        if (Unfulfillable.Values.Any(v => v > 0))
        {
            NeedsAttention = null;
        }

        foreach (var lineId in Unfulfillable.Keys.ToList())
        {
            Unfulfillable[lineId] = 0;
        }

        Request = Request! with { Delivery = Request.Delivery with { PickupLocationId = change.To } };
        foreach (var f in Tentative!)
        {
            Fulfilments.Add(f);
            Happen(now, EventTypes.FulfilmentRequested, doer, $"{f.Id} {Name(f.Mode)} from {f.LocationId}: {Describe(f.Lines)}; {f.Explanation.Rule}",
                new { orderId = OrderId, fulfilment = f.View(), lines = f.Lines });
        }

        Tentative = null;
        PendingPickup = null;
        ResourceDue = false;
        return new BookChange(FulfilmentReportOutcome.Applied, null, Reconcile(before, []), []);
    }

    public void Acknowledge(long version)
    {
        ToldOrder = Math.Max(ToldOrder, version);
        Untold.RemoveAll(h => h.Version <= version);
    }
}
