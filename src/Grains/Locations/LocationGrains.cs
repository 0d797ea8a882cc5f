using Oms.Grains.Hosting;
using Oms.Contracts.Locations;

namespace Oms.Grains.Locations;

public sealed class LocationState
{
    public LocationInfo? Location { get; set; }

    public ShipCapacity Shipments { get; set; } = new();
}

public sealed record StockIndexEntry(int OnHand, int Available, long Version);

/// <summary>
/// A warehouse or boutique: its profile, and a live in-memory index of what it holds, pushed by its stock items,
/// so a boutique advisor's "do we have it here?" is one call and no database read.
/// </summary>
/// <remarks>
/// The index is deliberately not persisted: a boutique with tens of thousands of SKUs would rewrite a
/// megabyte-sized row every few seconds (measured: over 1 MB per location, turns of several seconds). It fills
/// again as the stock items activate, and a lookup of named SKUs asks the items it has not heard from yet.
/// </remarks>
public sealed class LocationGrain(
    [PersistentState("location", OmsStorage.Name)] IPersistentState<LocationState> state,
    TimeProvider clock) : Grain, ILocationGrain
{
    private readonly Dictionary<string, StockIndexEntry> _index = new(StringComparer.Ordinal);

    /// <summary>Kept sorted only while someone pages through it; reports arrive far more often than pages.</summary>
    private string[]? _sortedSkus;

    public async Task<bool> Upsert(LocationInfo location)
    {
        var created = state.State.Location is null;
        if (!JsonGrainStateSerializer.SameStoredForm(state.State.Location, location))
        {
            state.State.Location = location;
            await state.WriteStateAsync();
        }

        // Also on a replay: if a crash fell between the two writes, the directory catches up here.
        await GrainFactory.GetGrain<ILocationDirectoryGrain>(ILocationDirectoryGrain.Key).Register(location);
        return created;
    }

    public Task<LocationInfo?> Get() => Task.FromResult(state.State.Location);

    public async Task<bool> TryAssignShipment(string orderId)
    {
        var shipments = state.State.Shipments;
        var today = Today();
        var before = (shipments.Day, shipments.Used(today));
        if (!shipments.TryAssign(orderId, today, state.State.Location?.DailyShipCapacity))
        {
            return false;
        }

        if (before != (shipments.Day, shipments.Used(today)))
        {
            await state.WriteStateAsync();
        }

        return true;
    }

    public async Task ReleaseShipment(string orderId)
    {
        if (state.State.Shipments.Release(orderId, Today()))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<ShipLoad> GetShipLoad()
    {
        var today = Today();
        return Task.FromResult(new ShipLoad(today, state.State.Shipments.Used(today), state.State.Location?.DailyShipCapacity));
    }

    private DateOnly Today() =>
        state.State.Location is { } location ? OpeningSchedule.For(location).LocalDate(clock.GetUtcNow()) : DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    public Task ReportStock(string sku, int onHand, int available, long version)
    {
        var skus = _index;
        if (skus.TryGetValue(sku, out var known) && known.Version > version)
        {
            return Task.CompletedTask;
        }

        var entry = new StockIndexEntry(onHand, available, version);
        if (known != entry)
        {
            if (known is null)
            {
                _sortedSkus = null;
            }

            skus[sku] = entry;
        }

        return Task.CompletedTask;
    }

    public Task<LocationStockPage> GetStock(IReadOnlyList<string>? skus, string? cursor, int limit)
    {
        var index = _index;
        if (skus is not null)
        {
            // Only what the index knows: the caller asks the stock items of the rest, which also fills the index.
            var listed = skus.Where(index.ContainsKey).Select(sku => new LocationStockEntry(sku, index[sku].OnHand, index[sku].Available));
            return Task.FromResult(new LocationStockPage(state.State.Location, [.. listed], null));
        }

        _sortedSkus ??= [.. index.Keys.Order(StringComparer.Ordinal)];
        var start = cursor is null ? 0 : Array.BinarySearch(_sortedSkus, cursor, StringComparer.Ordinal) is var at && at >= 0 ? at + 1 : ~at;
        var page = _sortedSkus.Skip(start).Take(limit).Select(sku => new LocationStockEntry(sku, index[sku].OnHand, index[sku].Available)).ToList();
        var next = start + page.Count < _sortedSkus.Length ? page[^1].Sku : null;
        return Task.FromResult(new LocationStockPage(state.State.Location, page, next));
    }
}

public sealed class LocationDirectoryState
{
    public Dictionary<string, LocationInfo> Locations { get; set; } = new(StringComparer.Ordinal);
}

public sealed class LocationDirectoryGrain(
    [PersistentState("locationDirectory", OmsStorage.Name)] IPersistentState<LocationDirectoryState> state)
    : Grain, ILocationDirectoryGrain
{
    private IReadOnlyList<LocationInfo>? _sorted;

    public async Task Register(LocationInfo location)
    {
        state.State.Locations.TryGetValue(location.LocationId, out var previous);
        if (JsonGrainStateSerializer.SameStoredForm(previous, location))
        {
            return;
        }

        state.State.Locations[location.LocationId] = location;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            if (previous is null)
            {
                state.State.Locations.Remove(location.LocationId);
            }
            else
            {
                state.State.Locations[location.LocationId] = previous;
            }

            throw;
        }

        _sorted = null;
    }

    public Task<IReadOnlyList<LocationInfo>> List() =>
        Task.FromResult(_sorted ??= [.. state.State.Locations.Values.OrderBy(l => l.LocationId, StringComparer.Ordinal)]);
}
