using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Oms.Contracts.Security;

namespace Oms.Api.Security;

/// <summary>
/// This API node's copy of the key registry, so a request's key is checked in memory. It asks the registry for
/// changes every <see cref="SecurityOptions.KeyRefresh"/>, and applies its own node's changes at once.
/// </summary>
public sealed class ApiKeyCache(IGrainFactory grains, IOptions<SecurityOptions> options, ILogger<ApiKeyCache> logger) : BackgroundService
{
    private sealed record Copy(long Version, IReadOnlyDictionary<string, CachedKey> Keys);

    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile Copy? _copy;

    private IApiKeyRegistryGrain Registry => grains.GetGrain<IApiKeyRegistryGrain>(IApiKeyRegistryGrain.Key);

    public async ValueTask<ApiKeyRecord?> Find(string keyId) => (await Current()).Keys.GetValueOrDefault(keyId)?.Record;

    /// <summary>The key with its authentication result built once per version of the key, not once per request.</summary>
    public async ValueTask<CachedKey?> FindForRequest(string keyId) => (await Current()).Keys.GetValueOrDefault(keyId);

    public async ValueTask<IReadOnlyCollection<ApiKeyRecord>> All() => [.. (await Current()).Keys.Values.Select(k => k.Record)];

    /// <summary>
    /// A change this node made, already saved in the registry: in force here before the endpoint answers. A
    /// local patch alone was lost when a refresh begun before the change (or the first load, when this node had
    /// no copy yet) landed after it, so a key just created could be refused, or one just revoked accepted, for
    /// up to a refresh period; a refresh begun after the change cannot be older than it.
    /// </summary>
    public async Task Apply(ApiKeyRecord key)
    {
        if (_copy is { } copy)
        {
            var keys = new Dictionary<string, CachedKey>(copy.Keys, StringComparer.Ordinal) { [key.KeyId] = new CachedKey(key) };
            _copy = copy with { Keys = keys };
        }

        try
        {
            await Refresh();
        }
        catch (Exception ex)
        {
            // The change is saved; the periodic refresh brings it if the registry could not be asked just now.
            logger.LogWarning("API keys could not be refreshed after a change: {Reason}", ex.Message);
        }
    }

    /// <summary>One at a time, and never back to an older version than the copy holds.</summary>
    public async Task Refresh()
    {
        await _refreshing.WaitAsync();
        try
        {
            var known = _copy?.Version ?? -1;
            var snapshot = await Registry.Snapshot(known);
            if (snapshot.Keys is { } keys && snapshot.Version >= known)
            {
                _copy = new Copy(snapshot.Version, keys.ToDictionary(k => k.KeyId, k => new CachedKey(k), StringComparer.Ordinal));
            }
        }
        finally
        {
            _refreshing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.KeyRefresh);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                // A node shutting down stops waiting at once: a refresh stuck on a silo that died would otherwise
                // hold the host's stop for the whole grain-call timeout.
                await Refresh().WaitAsync(stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The last copy stays in force: the cluster being unreachable answers 503 for everything else anyway.
                logger.LogWarning("API keys could not be refreshed: {Reason}", ex.Message);
            }
        }
    }

    private async ValueTask<Copy> Current()
    {
        if (_copy is { } copy)
        {
            return copy;
        }

        // The first request on a fresh node waits for the first copy rather than refusing every key.
        await _loading.WaitAsync();
        try
        {
            if (_copy is null)
            {
                await Refresh();
            }

            return _copy!;
        }
        finally
        {
            _loading.Release();
        }
    }
}

/// <summary>
/// A key as a request needs it. The principal is shared by every request made with this version of the key:
/// nothing in the pipeline changes a principal, and building one per request was most of what a key cost.
/// </summary>
public sealed class CachedKey(ApiKeyRecord record)
{
    // The secrets this node has already verified against the stored hashes, in memory only, for this version of
    // the key: a later request compares in constant time instead of hashing again (SHA-256 through OpenSSL cost
    // more than the rest of the check). A rotation or revocation brings a new version, and so forgets them.
    private volatile string? _verifiedCurrent;
    private volatile string? _verifiedPrevious;

    public ApiKeyRecord Record { get; } = record;

    /// <summary>Whether <paramref name="token"/> is this key's secret, or its previous one still within the grace.</summary>
    public bool Matches(string token, DateTimeOffset now)
    {
        var graceOpen = Record.PreviousValidUntil > now;
        if (Same(token, _verifiedCurrent) || (graceOpen && Same(token, _verifiedPrevious)))
        {
            return true;
        }

        if (ApiKeyFormat.HashMatches(token, Record.SecretHash))
        {
            _verifiedCurrent = token;
            return true;
        }

        if (graceOpen && ApiKeyFormat.HashMatches(token, Record.PreviousSecretHash))
        {
            _verifiedPrevious = token;
            return true;
        }

        return false;
    }

    private static bool Same(string token, string? verified) =>
        verified is not null && verified.Length == token.Length && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(token.AsSpan()), System.Runtime.InteropServices.MemoryMarshal.AsBytes(verified.AsSpan()));

    public AuthenticateResult Success { get; } = ApiKeyAuthenticationHandler.Ticket(new Credential(
        $"key:{record.KeyId}", record.Name, record.Role, record.Channels.ToHashSet(), record.LocationIds.ToHashSet(StringComparer.Ordinal)));
}
