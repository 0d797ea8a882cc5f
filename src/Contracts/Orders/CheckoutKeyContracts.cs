namespace Oms.Contracts.Orders;

/// <summary>What an idempotency key names: the order it was first used for, and whether this request is the same one.</summary>
[GenerateSerializer, Immutable, Alias("oms.CheckoutKeyClaim")]
public sealed record CheckoutKeyClaim(
    [property: Id(0)] string OrderId,
    [property: Id(1)] bool SameRequest);

/// <summary>
/// One idempotency key of one caller, keyed <see cref="CheckoutKeyGrainKey"/>. It binds the key to one checkout:
/// the order id it created (random, so nobody can derive another customer's order id from a key) and the request
/// it carried, so a reuse with any other body, another <c>orderId</c> included, is recognised as a conflict.
/// </summary>
[Alias("oms.ICheckoutKeyGrain")]
public interface ICheckoutKeyGrain : IGrainWithStringKey
{
    /// <param name="fingerprint">The request as the caller sent it (its order id included).</param>
    /// <param name="orderId">The order id the body asked for, or null to have one made.</param>
    /// <remarks>The first claim is kept, so the same claim again answers the same order: safe to send again.</remarks>
    [Alias("Claim"), Oms.Contracts.Faults.Idempotent]
    Task<CheckoutKeyClaim> Claim(string fingerprint, string? orderId);
}

public static class CheckoutKeys
{
    /// <summary>
    /// Scoped to the caller ('|' is outside the channel names and the key's visible ASCII is kept whole after it):
    /// two channels, and later two credentials, can use the same key without meeting.
    /// </summary>
    public static string CheckoutKeyGrainKey(string scope, string idempotencyKey) => $"{scope}|{idempotencyKey}";
}
