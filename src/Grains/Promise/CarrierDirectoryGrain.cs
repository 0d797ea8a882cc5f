using Oms.Contracts.Promise;
using Oms.Grains.Hosting;

namespace Oms.Grains.Promise;

public sealed class CarrierDirectoryState
{
    public Dictionary<string, CarrierInfo> Carriers { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Every carrier and its services in one small row: read by each silo's network grains and each API node every few seconds.</summary>
public sealed class CarrierDirectoryGrain(
    [PersistentState("carrierDirectory", OmsStorage.Name)] IPersistentState<CarrierDirectoryState> state)
    : Grain, ICarrierDirectoryGrain
{
    private IReadOnlyList<CarrierInfo>? _sorted;

    public async Task<bool> Upsert(CarrierInfo carrier)
    {
        state.State.Carriers.TryGetValue(carrier.CarrierId, out var previous);
        if (JsonGrainStateSerializer.SameStoredForm(previous, carrier))
        {
            return false;
        }

        state.State.Carriers[carrier.CarrierId] = carrier;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Nothing acknowledged may differ from what is stored: put the old carrier back.
            if (previous is null)
            {
                state.State.Carriers.Remove(carrier.CarrierId);
            }
            else
            {
                state.State.Carriers[carrier.CarrierId] = previous;
            }

            throw;
        }

        _sorted = null;
        return previous is null;
    }

    public Task<IReadOnlyList<CarrierInfo>> List() =>
        Task.FromResult(_sorted ??= [.. state.State.Carriers.Values.OrderBy(c => c.CarrierId, StringComparer.Ordinal)]);
}
