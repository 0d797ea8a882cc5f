using Oms.Contracts.Locations;

namespace Oms.Grains.Locations;

public sealed class LocationState
{
    public LocationInfo? Location { get; set; }
}

public sealed class LocationGrain(
    [PersistentState("location", OmsStorage.Name)] IPersistentState<LocationState> state) : Grain, ILocationGrain
{
    public async Task<bool> Upsert(LocationInfo location)
    {
        var created = state.State.Location is null;
        if (state.State.Location != location)
        {
            state.State.Location = location;
            await state.WriteStateAsync();
        }

        // Also on a replay: if a crash fell between the two writes, the directory catches up here.
        await GrainFactory.GetGrain<ILocationDirectoryGrain>(ILocationDirectoryGrain.Key).Register(location);
        return created;
    }

    public Task<LocationInfo?> Get() => Task.FromResult(state.State.Location);
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
        if (state.State.Locations.TryGetValue(location.LocationId, out var known) && known == location)
        {
            return;
        }

        var previous = known;
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
