using Oms.Contracts.Orders;

namespace Oms.Grains.Orders;

public sealed class CustomerState
{
    public List<CustomerOrder> Orders { get; set; } = [];
}

/// <summary>A customer's order index, newest first; written by the order grains when an order is placed.</summary>
public sealed class CustomerGrain(
    [PersistentState("customer", OmsStorage.Name)] IPersistentState<CustomerState> state) : Grain, ICustomerGrain
{
    public async Task AddOrder(string orderId, DateTimeOffset createdAt, OrderChannel channel)
    {
        if (state.State.Orders.Any(o => o.OrderId == orderId))
        {
            return;
        }

        state.State.Orders.Add(new CustomerOrder(orderId, createdAt, channel));
        state.State.Orders.Sort((a, b) => b.CreatedAt != a.CreatedAt ? b.CreatedAt.CompareTo(a.CreatedAt) : string.CompareOrdinal(a.OrderId, b.OrderId));
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<CustomerOrder>> ListOrders(int limit) =>
        Task.FromResult<IReadOnlyList<CustomerOrder>>([.. state.State.Orders.Take(limit)]);
}

public sealed class SourcingProfileState
{
    public SourcingProfile? Profile { get; set; }
}

/// <summary>A stored sourcing profile, e.g. "web-shipToHome"; absent ones read as the default.</summary>
public sealed class SourcingProfileGrain(
    [PersistentState("sourcingProfile", OmsStorage.Name)] IPersistentState<SourcingProfileState> state) : Grain, ISourcingProfileGrain
{
    public Task<SourcingProfile> Get() =>
        Task.FromResult(state.State.Profile ?? SourcingProfile.Default(this.GetPrimaryKeyString()));

    public async Task<bool> Put(SourcingProfile profile)
    {
        var created = state.State.Profile is null;
        state.State.Profile = profile;
        await state.WriteStateAsync();
        return created;
    }
}
