using Oms.Contracts.Security;
using Oms.Grains.Hosting;

namespace Oms.Grains.Security;

[GenerateSerializer, Alias("oms.ApiKeyRegistryState")]
public sealed class ApiKeyRegistryState
{
    [Id(0)] public long Version { get; set; }

    [Id(1)] public Dictionary<string, ApiKeyRecord> Keys { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Every API key of the deployment. Revoked and expired keys stay listed (an auditor asks what a key id in the
/// log was) until <see cref="Retention"/> after they stopped working, then make room for new ones.
/// </summary>
public sealed class ApiKeyRegistryGrain(
    [PersistentState("apiKeys", OmsStorage.Name)] IPersistentState<ApiKeyRegistryState> state,
    TimeProvider clock) : Grain, IApiKeyRegistryGrain
{
    /// <summary>Bounds the registry's row and every API node's copy of it.</summary>
    public const int MaxKeys = 5_000;

    private static readonly TimeSpan Retention = TimeSpan.FromDays(90);

    private ApiKeyRegistryState S => state.State;

    public async Task<ApiKeyChange> Create(ApiKeyRecord key)
    {
        if (S.Keys.ContainsKey(key.KeyId))
        {
            return new(ApiKeyChangeOutcome.Exists, S.Keys[key.KeyId]);
        }

        Prune();
        if (S.Keys.Count >= MaxKeys)
        {
            return new(ApiKeyChangeOutcome.LimitReached, null);
        }

        return await Save(key);
    }

    public async Task<ApiKeyChange> Reissue(ApiKeyRecord key)
    {
        Prune();
        if (!S.Keys.ContainsKey(key.KeyId) && S.Keys.Count >= MaxKeys)
        {
            return new(ApiKeyChangeOutcome.LimitReached, null);
        }

        return await Save(key);
    }

    public async Task<ApiKeyChange> Rotate(string keyId, string newSecretHash, DateTimeOffset previousValidUntil)
    {
        if (!S.Keys.TryGetValue(keyId, out var key))
        {
            return new(ApiKeyChangeOutcome.NotFound, null);
        }

        var now = clock.GetUtcNow();
        if (!key.IsActive(now))
        {
            return new(ApiKeyChangeOutcome.Revoked, key);
        }

        // One previous secret at a time: a second rotation inside the grace period ends the oldest secret now.
        return await Save(key with
        {
            SecretHash = newSecretHash,
            PreviousSecretHash = previousValidUntil > now ? key.SecretHash : null,
            PreviousValidUntil = previousValidUntil > now ? previousValidUntil : null,
            RotatedAt = now,
        });
    }

    public async Task<ApiKeyChange> Revoke(string keyId)
    {
        if (!S.Keys.TryGetValue(keyId, out var key))
        {
            return new(ApiKeyChangeOutcome.NotFound, null);
        }

        if (key.RevokedAt is not null)
        {
            return new(ApiKeyChangeOutcome.Done, key);
        }

        return await Save(key with { RevokedAt = clock.GetUtcNow(), PreviousSecretHash = null, PreviousValidUntil = null });
    }

    public Task<ApiKeySnapshot> Snapshot(long knownVersion) =>
        Task.FromResult(new ApiKeySnapshot(S.Version, knownVersion == S.Version ? null : [.. S.Keys.Values]));

    private async Task<ApiKeyChange> Save(ApiKeyRecord key)
    {
        var before = S.Keys.GetValueOrDefault(key.KeyId);
        S.Keys[key.KeyId] = key;
        S.Version++;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not durable, so not done: memory goes back to what storage holds.
            S.Version--;
            if (before is null)
            {
                S.Keys.Remove(key.KeyId);
            }
            else
            {
                S.Keys[key.KeyId] = before;
            }

            throw;
        }

        return new(ApiKeyChangeOutcome.Done, key);
    }

    private void Prune()
    {
        var cutoff = clock.GetUtcNow() - Retention;
        foreach (var stale in S.Keys.Values.Where(k => (k.RevokedAt ?? k.ExpiresAt) is { } ended && ended < cutoff).ToList())
        {
            S.Keys.Remove(stale.KeyId);
        }
    }
}
