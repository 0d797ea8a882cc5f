using Microsoft.AspNetCore.Http.HttpResults;
using Oms.Api.Http;
using Oms.Contracts.Orders;
using Oms.Contracts.Security;
using Oms.Grains;

namespace Oms.Api.Security;

public sealed record CreateApiKeyRequest(
    string Name,
    ApiRole Role,
    IReadOnlyList<OrderChannel>? Channels = null,
    IReadOnlyList<string>? LocationIds = null,
    DateTimeOffset? ExpiresAt = null);

public sealed record RotateApiKeyRequest(int GraceSeconds);

/// <param name="Status"><c>active</c>, <c>expired</c> or <c>revoked</c>.</param>
public sealed record ApiKeyView(
    string KeyId,
    string Name,
    ApiRole Role,
    IReadOnlyList<OrderChannel> Channels,
    IReadOnlyList<string> LocationIds,
    string Status,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RotatedAt,
    DateTimeOffset? PreviousKeyValidUntil,
    DateTimeOffset? RevokedAt);

/// <summary>The one response that ever carries a secret: the answer to a creation or a rotation.</summary>
public sealed record ApiKeyIssued(string Key, ApiKeyView ApiKey);

public sealed record ApiKeyList(IReadOnlyList<ApiKeyView> ApiKeys);

public static class ApiKeyEndpoints
{
    public const int MaxNameLength = 100;
    public const int MaxLocations = 200;
    public const int MaxGraceSeconds = 30 * 24 * 3600;
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3 * 366);

    public static void MapApiKeys(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/v1/api-keys").WithTags("API keys").RequireAuthorization(Policies.ApiKeys);

        keys.MapPost("/", async (HttpContext http, IGrainFactory grains, ApiKeyCache cache, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow();
            var body = await JsonBody.ReadAsync<CreateApiKeyRequest>(http, r => Validate(r, now), ct);
            if (body.Problem is not null)
            {
                return (IResult)body.Problem;
            }

            var request = body.Value!;
            var keyId = ApiKeyFormat.NewKeyId();
            var key = ApiKeyFormat.NewKey(keyId);
            var record = new ApiKeyRecord(keyId, request.Name.Trim(), request.Role, [.. (request.Channels ?? []).Distinct()],
                [.. (request.LocationIds ?? []).Distinct(StringComparer.Ordinal)], now, request.ExpiresAt, http.Credential().Actor, ApiKeyFormat.Hash(key));
            var change = await grains.GetGrain<IApiKeyRegistryGrain>(IApiKeyRegistryGrain.Key).Create(record);
            if (change.Outcome == ApiKeyChangeOutcome.LimitReached)
            {
                return Problems.Conflict("Too many API keys.", $"A deployment keeps at most {Oms.Grains.Security.ApiKeyRegistryGrain.MaxKeys} keys; revoke unused ones.");
            }

            if (change.Outcome != ApiKeyChangeOutcome.Done)
            {
                return Problems.Conflict("The key could not be created.", "A key id collided; retry.");
            }

            await cache.Apply(change.Key!);
            return TypedResults.Created($"/api/v1/api-keys/{keyId}", new ApiKeyIssued(key, View(change.Key!, now)));
        })
        .Accepts<CreateApiKeyRequest>("application/json")
        .Produces<ApiKeyIssued>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status409Conflict);

        keys.MapGet("/", async (ApiKeyCache cache, TimeProvider clock) =>
        {
            var now = clock.GetUtcNow();
            return TypedResults.Ok(new ApiKeyList([.. (await cache.All()).OrderBy(k => k.CreatedAt).ThenBy(k => k.KeyId).Select(k => View(k, now))]));
        })
        .Produces<ApiKeyList>();

        keys.MapGet("/{keyId}", async (string keyId, ApiKeyCache cache, TimeProvider clock) => await Find(keyId, cache) switch
            {
                ({ } key, _) => TypedResults.Ok(View(key, clock.GetUtcNow())),
                (_, var problem) => (IResult)problem!,
            })
        .Produces<ApiKeyView>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        keys.MapDelete("/{keyId}", async (string keyId, IGrainFactory grains, ApiKeyCache cache, TimeProvider clock) =>
        {
            if (Problems.InvalidId("keyId", keyId) is { } badId)
            {
                return (IResult)badId;
            }

            var change = await grains.GetGrain<IApiKeyRegistryGrain>(IApiKeyRegistryGrain.Key).Revoke(keyId);
            if (change.Key is null)
            {
                return Problems.NotFound("keyId", $"API key '{keyId}' does not exist.");
            }

            await cache.Apply(change.Key);
            return TypedResults.Ok(View(change.Key, clock.GetUtcNow()));
        })
        .Produces<ApiKeyView>()
        .ProducesProblem(StatusCodes.Status404NotFound);

        keys.MapPost("/{keyId}/rotate", async (string keyId, HttpContext http, IGrainFactory grains, ApiKeyCache cache, TimeProvider clock, CancellationToken ct) =>
        {
            if (Problems.InvalidId("keyId", keyId) is { } badId)
            {
                return (IResult)badId;
            }

            var body = await JsonBody.ReadAsync<RotateApiKeyRequest>(http, r => r.GraceSeconds is < 0 or > MaxGraceSeconds
                ? new FieldError("graceSeconds", $"must be between 0 and {MaxGraceSeconds} (30 days).") : null, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var now = clock.GetUtcNow();
            var key = ApiKeyFormat.NewKey(keyId);
            var change = await grains.GetGrain<IApiKeyRegistryGrain>(IApiKeyRegistryGrain.Key)
                .Rotate(keyId, ApiKeyFormat.Hash(key), now.AddSeconds(body.Value!.GraceSeconds));
            return change.Outcome switch
            {
                ApiKeyChangeOutcome.Done => await Issued(),
                ApiKeyChangeOutcome.Revoked => Problems.Conflict("The key cannot be rotated.", "A revoked or expired key stays so; create a new one.", "keyId", "is revoked or expired."),
                _ => Problems.NotFound("keyId", $"API key '{keyId}' does not exist."),
            };

            async Task<IResult> Issued()
            {
                await cache.Apply(change.Key!);
                return TypedResults.Ok(new ApiKeyIssued(key, View(change.Key!, now)));
            }
        })
        .Accepts<RotateApiKeyRequest>("application/json")
        .Produces<ApiKeyIssued>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);
    }

    public static FieldError? Validate(CreateApiKeyRequest request, DateTimeOffset now)
    {
        if (FieldError.ForText("name", request.Name, MaxNameLength) is { } badName)
        {
            return badName;
        }

        if (!Enum.IsDefined(request.Role))
        {
            return new FieldError("role", "must be storefront, care, store, integration or admin.");
        }

        var channels = request.Channels ?? [];
        var locations = request.LocationIds ?? [];
        if (request.Role == ApiRole.Storefront && channels.Count == 0)
        {
            return new FieldError("channels", "a storefront key acts for named channels: list at least one (web, app, kiosk).");
        }

        if (request.Role != ApiRole.Storefront && channels.Count > 0)
        {
            return new FieldError("channels", "only a storefront key is bound to channels; care acts on 'care', store on 'store'.");
        }

        if (channels.Count > Enum.GetValues<OrderChannel>().Length || channels.Any(c => !Enum.IsDefined(c)))
        {
            return new FieldError("channels", "lists unknown channels.");
        }

        if (request.Role == ApiRole.Storefront && channels.Any(c => !Credential.StorefrontChannels.Contains(c)))
        {
            // A storefront bound to 'store' would place store orders at any boutique, unbound by location.
            return new FieldError("channels", "a storefront key acts for web, app or kiosk; care acts on 'care', store on 'store'.");
        }

        if (request.Role == ApiRole.Store && locations.Count == 0)
        {
            return new FieldError("locationIds", "a store key acts for named boutiques: list at least one.");
        }

        if (request.Role != ApiRole.Store && locations.Count > 0)
        {
            return new FieldError("locationIds", "only a store key is bound to locations.");
        }

        if (locations.Count > MaxLocations)
        {
            return new FieldError("locationIds", $"at most {MaxLocations}.");
        }

        for (var i = 0; i < locations.Count; i++)
        {
            if (FieldError.ForId($"locationIds[{i}]", locations[i]) is { } badId)
            {
                return badId;
            }
        }

        if (request.ExpiresAt is { } expires && (expires <= now || expires > now + MaxLifetime))
        {
            return new FieldError("expiresAt", "must be in the future and at most three years ahead, or null for no expiry.");
        }

        return null;
    }

    public static ApiKeyView View(ApiKeyRecord key, DateTimeOffset now) => new(
        key.KeyId, key.Name, key.Role, key.Channels, key.LocationIds,
        key.RevokedAt is not null ? "revoked" : key.IsActive(now) ? "active" : "expired",
        key.CreatedAt, key.CreatedBy, key.ExpiresAt, key.RotatedAt,
        key.PreviousValidUntil > now ? key.PreviousValidUntil : null, key.RevokedAt);

    private static async Task<(ApiKeyRecord? Key, ProblemHttpResult? Problem)> Find(string keyId, ApiKeyCache cache)
    {
        if (Problems.InvalidId("keyId", keyId) is { } badId)
        {
            return (null, badId);
        }

        if (await cache.Find(keyId) is null)
        {
            // Perhaps created on another API node since this one's last refresh.
            await cache.Refresh();
        }

        return await cache.Find(keyId) is { } key ? (key, null) : (null, Problems.NotFound("keyId", $"API key '{keyId}' does not exist."));
    }
}
