using System.Text.Json;
using Microsoft.Extensions.Logging;
using Oms.Grains.Hosting;
using Oms.Contracts.Locations;
using Oms.Grains.Persistence;

namespace Oms.Grains.Locations;

public sealed class LocationState
{
    public LocationInfo? Location { get; set; }

    public ShipCapacity Shipments { get; set; } = new();
}

public sealed record StockIndexEntry(int OnHand, int Available, long Version);

public sealed class LocationStockState
{
    public Dictionary<string, StockIndexEntry> Skus { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A warehouse or boutique: its profile, and a live index of what it holds, pushed by its stock items, so a
/// boutique advisor's "do we have it here?" is one call and no database read.
/// </summary>
public sealed class LocationGrain(
    [PersistentState("location", OmsStorage.Name)] IPersistentState<LocationState> state,
    [PersistentState("locationStock", OmsStorage.Name)] IPersistentState<LocationStockState> stock,
    TimeProvider clock,
    ILogger<LocationGrain> logger) : Grain, ILocationGrain
{
    private DebouncedState<LocationStockState> _stock = null!;

    /// <summary>Kept sorted only while someone pages through it; reports arrive far more often than pages.</summary>
    private string[]? _sortedSkus;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _stock = new DebouncedState<LocationStockState>(stock, this, TimeSpan.FromSeconds(1), logger);
        return Task.CompletedTask;
    }

    public async Task<bool> Upsert(LocationInfo location)
    {
        var created = state.State.Location is null;
        if (!Same(state.State.Location, location))
        {
            state.State.Location = location;
            await state.WriteStateAsync();
        }

        // Also on a replay: if a crash fell between the two writes, the directory catches up here.
        await GrainFactory.GetGrain<ILocationDirectoryGrain>(ILocationDirectoryGrain.Key).Register(location);
        return created;
    }

    public Task<LocationInfo?> Get() => Task.FromResult(state.State.Location);

    /// <summary>Record equality stops at the lists inside a profile; their stored form does not.</summary>
    internal static bool Same(LocationInfo? a, LocationInfo? b) =>
        a is not null && b is not null
        && JsonSerializer.Serialize(a, JsonGrainStateSerializer.Options) == JsonSerializer.Serialize(b, JsonGrainStateSerializer.Options);

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
        var skus = _stock.State.Skus;
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
            _stock.MarkDirty();
        }

        return Task.CompletedTask;
    }

    public Task<LocationStockPage> GetStock(IReadOnlyList<string>? skus, string? cursor, int limit)
    {
        var index = _stock.State.Skus;
        if (skus is not null)
        {
            var listed = skus.Select(sku => index.TryGetValue(sku, out var e) ? new LocationStockEntry(sku, e.OnHand, e.Available) : new LocationStockEntry(sku, 0, 0));
            return Task.FromResult(new LocationStockPage(state.State.Location, [.. listed], null));
        }

        _sortedSkus ??= [.. index.Keys.Order(StringComparer.Ordinal)];
        var start = cursor is null ? 0 : Array.BinarySearch(_sortedSkus, cursor, StringComparer.Ordinal) is var at && at >= 0 ? at + 1 : ~at;
        var page = _sortedSkus.Skip(start).Take(limit).Select(sku => new LocationStockEntry(sku, index[sku].OnHand, index[sku].Available)).ToList();
        var next = start + page.Count < _sortedSkus.Length ? page[^1].Sku : null;
        return Task.FromResult(new LocationStockPage(state.State.Location, page, next));
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _stock.Flush();
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
        if (LocationGrain.Same(previous, location))
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
