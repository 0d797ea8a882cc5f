using Oms.Contracts.Orders;

namespace Oms.Contracts.Security;

/// <summary>What a credential is for. The role decides which endpoints it may call; channels and locations narrow it.</summary>
[GenerateSerializer, Alias("oms.ApiRole")]
public enum ApiRole { Storefront = 0, Care = 1, Store = 2, Integration = 3, Admin = 4 }

/// <summary>
/// One API key as stored: never the secret, only the SHA-256 of the whole key string. The secrets are 256 random
/// bits, so a fast hash is enough (a slow KDF protects guessable passwords, and would cost every request).
/// </summary>
/// <param name="PreviousSecretHash">The secret a rotation replaced, accepted until <paramref name="PreviousValidUntil"/>.</param>
[GenerateSerializer, Immutable, Alias("oms.ApiKeyRecord")]
public sealed record ApiKeyRecord(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Name,
    [property: Id(2)] ApiRole Role,
    [property: Id(3)] IReadOnlyList<OrderChannel> Channels,
    [property: Id(4)] IReadOnlyList<string> LocationIds,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] DateTimeOffset? ExpiresAt,
    [property: Id(7)] string CreatedBy,
    [property: Id(8)] string SecretHash,
    [property: Id(9)] string? PreviousSecretHash = null,
    [property: Id(10)] DateTimeOffset? PreviousValidUntil = null,
    [property: Id(11)] DateTimeOffset? RevokedAt = null,
    [property: Id(12)] DateTimeOffset? RotatedAt = null)
{
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

[GenerateSerializer, Alias("oms.ApiKeyChangeOutcome")]
public enum ApiKeyChangeOutcome { Done = 0, NotFound = 1, Revoked = 2, LimitReached = 3, Exists = 4 }

[GenerateSerializer, Immutable, Alias("oms.ApiKeyChange")]
public sealed record ApiKeyChange([property: Id(0)] ApiKeyChangeOutcome Outcome, [property: Id(1)] ApiKeyRecord? Key);

/// <summary>Every key, at a version; <see cref="Keys"/> is null when the caller already had this version.</summary>
[GenerateSerializer, Immutable, Alias("oms.ApiKeySnapshot")]
public sealed record ApiKeySnapshot([property: Id(0)] long Version, [property: Id(1)] IReadOnlyList<ApiKeyRecord>? Keys);

/// <summary>
/// The one registry of API keys. Keys are few and change rarely, so one grain holds them all and API nodes
/// keep a copy that they refresh by version: checking a key on a request costs no grain call.
/// </summary>
[Alias("oms.IApiKeyRegistryGrain")]
public interface IApiKeyRegistryGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("Create")]
    Task<ApiKeyChange> Create(ApiKeyRecord key);

    /// <summary>Creates the key or gives an existing one a new secret at once (no grace): the demo's fixed keys.</summary>
    [Alias("Reissue")]
    Task<ApiKeyChange> Reissue(ApiKeyRecord key);

    [Alias("Rotate")]
    Task<ApiKeyChange> Rotate(string keyId, string newSecretHash, DateTimeOffset previousValidUntil);

    [Alias("Revoke")]
    Task<ApiKeyChange> Revoke(string keyId);

    [Alias("Snapshot"), Oms.Contracts.Faults.Idempotent]
    Task<ApiKeySnapshot> Snapshot(long knownVersion);
}
