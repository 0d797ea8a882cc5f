using System.Security.Cryptography;
using Oms.Contracts.Orders;
using Orleans.Placement;

namespace Oms.Grains.Orders;

public sealed class CheckoutKeyState
{
    public string? OrderId { get; set; }
    public string Fingerprint { get; set; } = "";
}

/// <summary>Binds one caller's idempotency key to the one checkout it was first used for.</summary>
[PreferLocalPlacement]
public sealed class CheckoutKeyGrain(
    [PersistentState("checkoutKey", OmsStorage.Name)] IPersistentState<CheckoutKeyState> state) : Grain, ICheckoutKeyGrain
{
    public async Task<CheckoutKeyClaim> Claim(string fingerprint, string? orderId)
    {
        if (state.State.OrderId is { } claimed)
        {
            return new CheckoutKeyClaim(claimed, state.State.Fingerprint == fingerprint);
        }

        // Durable before the order exists: a retry after any later failure reaches the same order.
        state.State.OrderId = orderId ?? NewOrderId();
        state.State.Fingerprint = fingerprint;
        await state.WriteStateAsync();
        return new CheckoutKeyClaim(state.State.OrderId, true);
    }

    /// <summary>96 random bits: unguessable, and as long as the ids the key used to be hashed into.</summary>
    private static string NewOrderId() => "ORD-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
}
