using Microsoft.Extensions.Logging;
using Oms.Contracts.Availability;
using Oms.Contracts.Events;
using Oms.Contracts.Locations;
using Oms.Grains.Events;
using Oms.Grains.Persistence;
using Oms.Grains.Recovery;

namespace Oms.Grains.Availability;

/// <param name="Online">What e-commerce may sell there; null in state written before it was reported.</param>
public sealed record LocationEntry(LocationType Type, int Available, long Version, int? Online = null);

public sealed class SkuAvailabilityState
{
    public Dictionary<string, LocationEntry> Locations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether the network last had online ATP, as announced; null before the first judgement.</summary>
    public bool? OnlineInStock { get; set; }

    public EventOutbox Events { get; set; } = new();
}

/// <summary>
/// A derived view: the stock items are the truth and re-send their figure whenever they activate, so this
/// grain persists lazily instead of on every report, keeping it off the hold path's write budget while still
/// surviving a restart.
/// </summary>
/// <remarks>
/// The one exception to lazy persistence is a crossing of the network's online ATP through zero: the view's
/// new judgement and its event are written at once, together, so the event is durable with the change.
/// </remarks>
public sealed class SkuAvailabilityGrain(
    [PersistentState("skuAvailability", OmsStorage.Name)] IPersistentState<SkuAvailabilityState> state,
    EventPublisher publisher,
    IWatchTable watches,
    TimeProvider clock,
    ILogger<SkuAvailabilityGrain> logger) : Grain, ISkuAvailabilityGrain, IRemindable
{
    /// <summary>The event's watchdog across a crash; the name the reminder it replaces had, so the schema moves those over.</summary>
    private const string OutboxWatch = "availability-outbox";

    private static readonly TimeSpan WatchDue = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WatchPeriod = TimeSpan.FromMinutes(1);

    private DebouncedState<SkuAvailabilityState> _store = null!;
    private GrainWatch _watchdog = null!;
    private SkuAvailability? _view;

    private SkuAvailabilityState S => _store.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _store = new DebouncedState<SkuAvailabilityState>(state, this, TimeSpan.FromSeconds(1), logger);
        _watchdog = new GrainWatch(this, watches, clock, OutboxWatch, WatchDue, WatchPeriod);
        await TryPublish();
    }

    public async Task Report(string locationId, LocationType type, int available, long version, int online)
    {
        var locations = S.Locations;
        if (locations.TryGetValue(locationId, out var known) && known.Version > version)
        {
            return;
        }

        // A view kept before events starts from what it shows, so an upgrade announces no change that did not happen.
        S.OnlineInStock ??= locations.Count > 0 && OnlineAvailable() > 0;
        var entry = new LocationEntry(type, available, version, online);
        if (known == entry)
        {
            return;
        }

        locations[locationId] = entry;
        _view = null;
        var inStock = OnlineAvailable() > 0;
        if (inStock == S.OnlineInStock)
        {
            _store.MarkDirty();
            return;
        }

        S.OnlineInStock = inStock;
        var sku = this.GetPrimaryKeyString();
        S.Events.Raise(inStock ? EventTypes.AvailabilityBackInStock : EventTypes.AvailabilityOutOfStock, Subjects.Availability(sku), new
        {
            sku,
            available = OnlineAvailable(),
            locations = locations.Where(l => (l.Value.Online ?? 0) > 0).OrderBy(l => l.Key, StringComparer.Ordinal)
                .Select(l => new { locationId = l.Key, available = l.Value.Online }),
        }, clock.GetUtcNow());

        try
        {
            // The watch is the event's watchdog across a crash; it goes on its first tick once the feed has it. A row
            // shared in the silo's group commit: a catalogue load crosses thousands of SKUs into stock at once, and
            // a reminder each (a row write of its own, then a tick and a delete each) took the connection pool with it.
            await Task.WhenAll(state.WriteStateAsync(), _watchdog.Watch());
        }
        catch (Exception ex)
        {
            // Not durable: forget the judgement, so the next report judges again and raises afresh.
            logger.LogWarning(ex, "SKU {Sku}: could not record its availability change; the next report retries", sku);
            S.Events.Pending.RemoveAt(S.Events.Pending.Count - 1);
            S.Events.Sequence--;
            S.OnlineInStock = !inStock;
            return;
        }

        await TryPublish();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == OutboxWatch && await TryPublish())
        {
            await _watchdog.Stop();
        }
    }

    private int OnlineAvailable() => S.Locations.Values.Sum(l => l.Online ?? 0);

    private async Task<bool> TryPublish()
    {
        var before = S.Events.Pending.Count;
        var drained = await publisher.TryDrain(S.Events, logger, $"SKU {this.GetPrimaryKeyString()}");
        if (S.Events.Pending.Count != before)
        {
            _store.MarkDirty();
        }

        return drained;
    }

    public Task<SkuAvailability> Get() => Task.FromResult(_view ??= BuildView());

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _store.FlushOnDeactivation();

    private SkuAvailability BuildView()
    {
        var locations = S.Locations
            .Select(kv => new LocationAvailability(kv.Key, kv.Value.Type, kv.Value.Available))
            .OrderByDescending(l => l.Available)
            .ThenBy(l => l.LocationId, StringComparer.Ordinal)
            .ToList();
        return new SkuAvailability(this.GetPrimaryKeyString(), locations.Sum(l => l.Available), locations);
    }
}
