using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts;
using Oms.Contracts.Events;
using Oms.Contracts.Reservations;
using Oms.Contracts.Stock;
using Oms.Grains.Events;
using Oms.Grains.Faults;
using Orleans.Placement;

namespace Oms.Grains.Reservations;

public sealed class ReservationState
{
    public ReservationStatus? Status { get; set; }
    public List<ReservationLine> Lines { get; set; } = [];
    public int TtlSeconds { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public List<ShortLine> ShortLines { get; set; } = [];
    public string? ConsumedBy { get; set; }

    /// <summary>The customer the holds are for, when the caller named one.</summary>
    public string? CustomerId { get; set; }

    /// <summary>The credential that created it; a storefront's other keys may not read, release or use it.</summary>
    public string? Owner { get; set; }

    /// <summary>
    /// How many times placement was interrupted by a failure and rolled back. The stock items remember a released
    /// hold's id so that a late placement cannot revive it; each retry therefore holds under a fresh name.
    /// </summary>
    public int Attempt { get; set; }

    /// <summary>Failed because placement could not be decided, not because stock was short: a retry may try again.</summary>
    public bool Interrupted { get; set; }

    /// <summary>Kept across a reuse of the id, so the subject's sequence never restarts.</summary>
    public EventOutbox Events { get; set; } = new();
}

public sealed class ReservationOptions
{
    /// <summary>How long a finished reservation's id stays spent; after it, the id may be used afresh.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromDays(7);
}

/// <remarks>
/// Placed on the silo that received the call (for the API, its gateway): a basket is one request's grain, and the
/// hop to a silo picked at random would be paid on every checkout for nothing.
/// </remarks>
[PreferLocalPlacement]
public sealed class ReservationGrain(
    [PersistentState("reservation", OmsStorage.Name)] IPersistentState<ReservationState> state,
    TimeProvider clock,
    IOptions<ReservationOptions> options,
    EventPublisher publisher,
    IReservationDeadlines deadlines,
    ILogger<ReservationGrain> logger) : Grain, IReservationGrain, IRemindable
{
    /// <summary>
    /// What reservations created before their deadline rows watched themselves with. None is registered any more;
    /// one still in the table hands its reservation to the sweep at its next tick.
    /// </summary>
    private const string WatchReminder = "reservation-watch";

    /// <summary>When the sweep first looks at a reservation of several lines: after any healthy placement, soon enough to give a crashed one's units back quickly.</summary>
    private static readonly TimeSpan RecoveryDelay = TimeSpan.FromSeconds(10);

    private ReservationState S => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A Pending record at activation means a silo died while placing holds: nobody acknowledged it,
        // so roll every line back now rather than leave units held until their TTL.
        if (S.Status == ReservationStatus.Pending)
        {
            logger.LogWarning("Reservation {Id} found half-placed; rolling back", this.GetPrimaryKeyString());
            await Infrastructure.Guard(() => RollBack([], interrupted: true), $"Recovery of reservation {this.GetPrimaryKeyString()}");
        }
    }

    public async Task<ReservationResult> Create(ReservationRequest request)
    {
        var problem = ReservationRules.Validate(request);
        if (problem is not null)
        {
            throw new ArgumentException(problem.ToString(), nameof(request));
        }

        var now = clock.GetUtcNow();
        if (S.Status is ReservationStatus.Released or ReservationStatus.Expired or ReservationStatus.Failed or ReservationStatus.Consumed
            && now - S.ExpiresAt > options.Value.IdempotencyWindow)
        {
            // Long finished and past the window: the id is free again, as the stock items forgot it too.
            state.State = new ReservationState { Events = S.Events };
        }

        if (S.Status is { } existing)
        {
            if (!ReservationRules.SameRequest(S.Lines, S.TtlSeconds, S.CustomerId, request) || S.Owner != request.Owner)
            {
                return new ReservationResult(ReservationOutcome.Conflict, View(), []);
            }

            if (existing == ReservationStatus.Failed && !S.Interrupted)
            {
                return new ReservationResult(ReservationOutcome.Short, null, S.ShortLines);
            }

            if (existing != ReservationStatus.Failed)
            {
                return new ReservationResult(ReservationOutcome.Replayed, View(), []);
            }

            // An earlier try failed on a dependency and was rolled back: nothing was refused, so this one places afresh.
            S.Attempt++;
            S.Interrupted = false;
        }

        S.Status = ReservationStatus.Pending;
        S.Lines = [.. request.Lines];
        S.TtlSeconds = request.TtlSeconds;
        S.CustomerId = request.CustomerId;
        S.Owner = request.Owner;
        S.CreatedAt = now;
        S.ExpiresAt = now.AddSeconds(request.TtlSeconds);
        if (request.Lines.Count == 1)
        {
            return await CreateSingleLine();
        }

        // The intent is durable before any unit is held, and so is its deadline row, which brings the sweep here
        // soon after: a crash at any point after this is found and rolled back. The row is group-committed with
        // every other reservation's of the silo, where a reminder was a write of its own through the reminder
        // service, and a fresh silo's reminder service refuses writes until it has loaded its range.
        await Task.WhenAll(state.WriteStateAsync(), deadlines.Add(this.GetPrimaryKeyString(), now + WatchDue(now)));

        try
        {
            var shortLines = await PlaceHolds();
            if (shortLines.Count > 0)
            {
                await RollBack(shortLines);
                return new ReservationResult(ReservationOutcome.Short, null, shortLines);
            }

            S.Status = ReservationStatus.Held;
            await state.WriteStateAsync();
            return new ReservationResult(ReservationOutcome.Created, View(), []);
        }
        catch (Exception ex) when (S.Status == ReservationStatus.Pending)
        {
            // Not acknowledged, so it must not hold anything; if this roll-back fails too, the durable intent is
            // rolled back by the next activation or the watch reminder. Either way the caller may retry the same id.
            logger.LogWarning(ex, "Reservation {Id} could not be placed; rolling back", this.GetPrimaryKeyString());
            await RollBack([], interrupted: true);
            if (Infrastructure.IsFault(ex))
            {
                throw Infrastructure.Unavailable($"Reservation {this.GetPrimaryKeyString()}");
            }

            throw;
        }
    }

    /// <summary>
    /// A one-line hold is atomic at its stock item, so there is no half-placed state to recover and no intent to
    /// write first: the flash-sale path costs the item's (shared) ledger append, and one write here beside its
    /// share of a group-committed deadline row. A failure between the two (or of either) leaves at most a hold without its record, which the retry
    /// of the same request finds and completes, or which expires at its TTL; so the hold is not released here,
    /// where a release would spend the id. A refusal holds nothing and is not written.
    /// </summary>
    private async Task<ReservationResult> CreateSingleLine()
    {
        try
        {
            var shortLines = await PlaceHolds();
            if (shortLines.Count > 0)
            {
                S.Status = ReservationStatus.Failed;
                S.ShortLines = shortLines;
                return new ReservationResult(ReservationOutcome.Short, null, shortLines);
            }

            S.Status = ReservationStatus.Held;

            // The deadline row is what announces reservation.expired across a crash, so it is written beside the
            // state, never after it; rows are group-committed, where a reminder would be a write of its own.
            await Task.WhenAll(state.WriteStateAsync(), deadlines.Add(this.GetPrimaryKeyString(), S.ExpiresAt));
        }
        catch
        {
            // Memory goes back to what is durable (nothing): the answer was not an acknowledgement.
            state.State = new ReservationState { Attempt = S.Attempt };
            throw;
        }

        return new ReservationResult(ReservationOutcome.Created, View(), []);
    }

    public Task<ReservationView?> Get() => Task.FromResult(S.Status is null or ReservationStatus.Failed ? null : View());

    public async Task<ReservationView?> Consume(string orderId, string customerId)
    {
        if (!ReservationRules.IsFor(S.CustomerId, customerId))
        {
            return null;
        }

        if (S.Status == ReservationStatus.Consumed)
        {
            return S.ConsumedBy == orderId ? View() : null;
        }

        if (S.Status != ReservationStatus.Held || clock.GetUtcNow() >= S.ExpiresAt)
        {
            return null;
        }

        // The deadline row stays: at its sweep the reservation has nothing left to say and the row goes, off the
        // checkout's path.
        S.Status = ReservationStatus.Consumed;
        S.ConsumedBy = orderId;
        await state.WriteStateAsync();
        return View();
    }

    public async Task<ReservationView?> Release()
    {
        if (S.Status is null or ReservationStatus.Failed)
        {
            return null;
        }

        if (S.Status is ReservationStatus.Held or ReservationStatus.Pending)
        {
            await ReleaseLines();
            var now = clock.GetUtcNow();
            S.Status = now >= S.ExpiresAt ? ReservationStatus.Expired : ReservationStatus.Released;
            RaiseIfExpired(now);
            await state.WriteStateAsync();

            // An expiry the feed did not take now is published by the sweep, at the row already due.
            await publisher.TryDrain(S.Events, logger, $"Reservation {this.GetPrimaryKeyString()}");
        }

        return View();
    }

    /// <summary>A reminder left by an earlier version hands its reservation to the sweep, which is due at once, and goes.</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != WatchReminder)
        {
            return;
        }

        await deadlines.Add(this.GetPrimaryKeyString(), clock.GetUtcNow());
        if (await this.GetReminder(WatchReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public async Task<bool> Lapse()
    {
        var now = clock.GetUtcNow();
        if (S.Status == ReservationStatus.Pending)
        {
            // Calls to this grain take turns, so a placement still Pending here is not running: it failed and its
            // own roll-back failed too.
            await RollBack([], interrupted: true);
        }
        else if (S.Status == ReservationStatus.Held)
        {
            if (now < S.ExpiresAt)
            {
                // The recovery look of a held reservation, or an id used again with a later expiry: the row moves
                // to the expiry, and stays.
                await deadlines.Add(this.GetPrimaryKeyString(), S.ExpiresAt);
                return false;
            }

            // The stock items expire their own holds on time; releasing here too makes expiry not depend on them.
            await ReleaseLines();
            S.Status = ReservationStatus.Expired;
            RaiseIfExpired(now);
            await state.WriteStateAsync();
        }

        return await publisher.TryDrain(S.Events, logger, $"Reservation {this.GetPrimaryKeyString()}");
    }

    private void RaiseIfExpired(DateTimeOffset now)
    {
        if (S.Status == ReservationStatus.Expired)
        {
            S.Events.Raise(EventTypes.ReservationExpired, Subjects.Reservation(this.GetPrimaryKeyString()), new
            {
                reservationId = this.GetPrimaryKeyString(),
                customerId = S.CustomerId,
                createdAt = S.CreatedAt,
                expiresAt = S.ExpiresAt,
                lines = S.Lines,
            }, now);
        }
    }

    private ReservationView View()
    {
        var status = S.Status!.Value;
        if (status == ReservationStatus.Held && clock.GetUtcNow() >= S.ExpiresAt)
        {
            status = ReservationStatus.Expired;
        }

        return new ReservationView(this.GetPrimaryKeyString(), status, S.CreatedAt, S.ExpiresAt, S.Lines, HoldKey, S.CustomerId, S.Owner);
    }

    /// <summary>The name this reservation's holds carry at the stock items for the current attempt.</summary>
    private string HoldKey => Ids.ReservationHoldKey(this.GetPrimaryKeyString(), S.Attempt);

    /// <summary>
    /// Places the holds one at a time in one global order (by stock item key), like taking locks in order:
    /// when many baskets race for the same items, whoever holds the first contended item goes on to the next,
    /// so scarce stock ends up in complete baskets instead of being split between baskets that all fail.
    /// </summary>
    /// <remarks>
    /// A stock item that fails, rather than refuses, decided nothing: its exception goes up as it is, so the id is
    /// not spent on a refusal that never happened.
    /// </remarks>
    private async Task<List<ShortLine>> PlaceHolds()
    {
        var id = HoldKey;
        var order = Enumerable.Range(0, S.Lines.Count)
            .OrderBy(i => Ids.StockItemKey(S.Lines[i].LocationId, S.Lines[i].Sku), StringComparer.Ordinal)
            .ToList();

        for (var n = 0; n < order.Count; n++)
        {
            var i = order[n];
            var line = S.Lines[i];
            var result = await StockItem(line).PlaceHold(id, line.Quantity, S.ExpiresAt, S.CustomerId);
            var refused = result.Outcome is HoldOutcome.Held or HoldOutcome.AlreadyHeld
                ? null
                : new ShortLine(i, line.Sku, line.LocationId, line.Quantity, result.Available, ReasonOf(result));
            if (refused is not null)
            {
                return [refused, .. await AlsoShort(order.Skip(n + 1))];
            }
        }

        return [];
    }

    /// <summary>
    /// After the first refusal the rest is not attempted, but the shopper should hear about every short line at
    /// once; a read of each remaining item is cheap and holds nothing.
    /// </summary>
    private async Task<IEnumerable<ShortLine>> AlsoShort(IEnumerable<int> remaining)
    {
        var checks = remaining.Select(async i =>
        {
            var line = S.Lines[i];
            try
            {
                var level = await StockItem(line).GetLevel();
                return level.Available >= line.Quantity
                    ? null
                    : new ShortLine(i, line.Sku, line.LocationId, line.Quantity, level.Available, "insufficient");
            }
            catch (Exception)
            {
                return null;
            }
        });
        return (await Task.WhenAll(checks)).OfType<ShortLine>().OrderBy(l => l.LineIndex);
    }

    private IStockItemGrain StockItem(ReservationLine line) =>
        GrainFactory.GetGrain<IStockItemGrain>(Ids.StockItemKey(line.LocationId, line.Sku));

    private static string ReasonOf(HoldResult result) => result.Outcome switch
    {
        HoldOutcome.Insufficient => "insufficient",
        HoldOutcome.UnknownLocation => "unknownLocation",
        _ => "conflict",
    };

    /// <summary>
    /// Releases every line, not only those known to be held: a call that timed out may still have placed its hold,
    /// and release is idempotent at the stock item.
    /// </summary>
    private async Task RollBack(List<ShortLine> shortLines, bool interrupted = false)
    {
        await ReleaseLines();
        S.Status = ReservationStatus.Failed;
        S.ShortLines = shortLines;
        S.Interrupted = interrupted;
        await state.WriteStateAsync();
    }

    private Task ReleaseLines()
    {
        var id = HoldKey;
        return Task.WhenAll(S.Lines.Select(line => StockItem(line).ReleaseHold(id)));
    }

    /// <summary>Soon enough to recover a half-placed reservation quickly, never later than its expiry.</summary>
    private TimeSpan WatchDue(DateTimeOffset now)
    {
        var untilExpiry = S.ExpiresAt - now;
        return untilExpiry < RecoveryDelay ? untilExpiry : RecoveryDelay;
    }
}
