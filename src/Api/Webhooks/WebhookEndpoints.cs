using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.Events;
using Oms.Contracts.Webhooks;
using Oms.Grains;
using Oms.Grains.Webhooks;

namespace Oms.Api.Webhooks;

public sealed record CreateWebhookRequest(string Url, IReadOnlyList<string> Events, string? Description = null);

/// <summary>Only the fields given change.</summary>
public sealed record UpdateWebhookRequest(string? Url = null, IReadOnlyList<string>? Events = null, WebhookStatus? Status = null);

public sealed record RotateWebhookSecretRequest(int? GraceSeconds = null);

public sealed record ReplayWebhookRequest(long FromPosition);

/// <summary>The only answers that ever carry a signing secret: a creation and a rotation.</summary>
public sealed record WebhookIssued(
    string WebhookId,
    WebhookStatus Status,
    string Url,
    IReadOnlyList<string> Events,
    string? Description,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? SecretRotatedAt,
    DateTimeOffset? PreviousSecretValidUntil,
    string Secret)
{
    public static WebhookIssued Of(WebhookView view, string secret) => new(view.WebhookId, view.Status, view.Url, view.Events, view.Description,
        view.CreatedAt, view.UpdatedAt, view.SecretRotatedAt, view.PreviousSecretValidUntil, secret);
}

public sealed record WebhookList(IReadOnlyList<WebhookView> Webhooks);

/// <param name="Next">Where to continue (<c>fromPosition</c>) when the replay's bound cut it short, else null.</param>
public sealed record ReplayAccepted(int Queued, long FromPosition, long? Next);

/// <summary>Options the API reads itself: whether internal targets are allowed (development and tests only).</summary>
public sealed record WebhookApiOptions(bool AllowInsecureTargets);

public static class WebhookEndpoints
{
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(2);

    public static IServiceCollection AddWebhookApi(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton(new WebhookApiOptions(configuration.GetValue<bool>($"{WebhookHosting.Section}:AllowInsecureTargets")));

    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks").RequireAuthorization(Policies.Webhooks);

        hooks.MapPost("/", async (HttpContext http, IGrainFactory grains, WebhookApiOptions options, TimeProvider clock, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync<CreateWebhookRequest>(http, ct);
            if (body.Problem is not null)
            {
                return (IResult)body.Problem;
            }

            // The URL last: it may wait on DNS, which the cheap checks should not.
            var request = body.Value!;
            if (CheckEvents(request.Events, required: true) is { } badEvents)
            {
                return Problems.Invalid(badEvents);
            }

            if (FieldError.ForText("description", request.Description, WebhookLimits.MaxDescriptionLength, required: false) is { } badText)
            {
                return Problems.Invalid(badText);
            }

            if (await CheckUrl(request.Url, options, ct) is { } badUrl)
            {
                return badUrl;
            }

            var id = WebhookLimits.NewId();
            var secret = WebhookLimits.NewSecret();
            var description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim();
            var result = await grains.GetGrain<IWebhookGrain>(id)
                .Create(new WebhookCreate(request.Url, [.. request.Events.Distinct(StringComparer.Ordinal)], description, secret, clock.GetUtcNow()));
            return result.Outcome switch
            {
                WebhookOutcome.Done => TypedResults.Created($"/api/v1/webhooks/{id}", WebhookIssued.Of(result.Webhook!, secret)),
                WebhookOutcome.LimitReached => Problems.Conflict("Too many webhook subscriptions.",
                    $"A deployment keeps at most {WebhookLimits.MaxSubscriptions}; delete unused ones.", "url", "no room for another subscription."),
                _ => Problems.Conflict("The subscription could not be created.", "An id collided; retry."),
            };
        })
        .WithName("createWebhook")
        .WithSummary("Subscribe a URL to events; the answer carries the signing secret, shown this once")
        .Accepts<CreateWebhookRequest>("application/json")
        .Produces<WebhookIssued>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status409Conflict);

        hooks.MapGet("/", async (IGrainFactory grains) =>
        {
            var ids = await grains.GetGrain<IWebhookDirectoryGrain>(IWebhookDirectoryGrain.Key).List();
            var views = await Task.WhenAll(ids.Select(id => grains.GetGrain<IWebhookGrain>(id).Get()));
            return TypedResults.Ok(new WebhookList([.. views.OfType<WebhookView>()]));
        })
        .WithName("listWebhooks")
        .WithSummary("Every subscription, oldest first, never a secret")
        .Produces<WebhookList>();

        hooks.MapGet("/{webhookId}", async (string webhookId, IGrainFactory grains) =>
            (IResult?)Problems.InvalidId("webhookId", webhookId) ?? (await grains.GetGrain<IWebhookGrain>(webhookId).Get() is { } view
                ? TypedResults.Ok(view)
                : NotFound(webhookId)))
        .WithName("getWebhook")
        .WithSummary("One subscription, never its secret")
        .Produces<WebhookView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);

        hooks.MapPatch("/{webhookId}", async (string webhookId, HttpContext http, IGrainFactory grains, WebhookApiOptions options, TimeProvider clock, CancellationToken ct) =>
        {
            if (Problems.InvalidId("webhookId", webhookId) is { } badId)
            {
                return (IResult)badId;
            }

            var body = await JsonBody.ReadAsync<UpdateWebhookRequest>(http, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var request = body.Value!;
            if (request is { Url: null, Events: null, Status: null })
            {
                return Problems.Invalid("body", "give at least one of url, events and status.");
            }

            if (request.Events is not null && CheckEvents(request.Events, required: true) is { } badEvents)
            {
                return Problems.Invalid(badEvents);
            }

            if (request.Status is { } status && !Enum.IsDefined(status))
            {
                return Problems.Invalid("status", "must be enabled or disabled.");
            }

            if (request.Url is not null && await CheckUrl(request.Url, options, ct) is { } badUrl)
            {
                return badUrl;
            }

            var result = await grains.GetGrain<IWebhookGrain>(webhookId)
                .Update(new WebhookPatch(request.Url, request.Events?.Distinct(StringComparer.Ordinal).ToList(), request.Status, clock.GetUtcNow()));
            return result.Outcome == WebhookOutcome.Done ? TypedResults.Ok(result.Webhook!) : NotFound(webhookId);
        })
        .WithName("updateWebhook")
        .WithSummary("Change a subscription's url, events or status (enabled or disabled)")
        .Accepts<UpdateWebhookRequest>("application/json")
        .Produces<WebhookView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);

        hooks.MapDelete("/{webhookId}", async (string webhookId, IGrainFactory grains) =>
            (IResult?)Problems.InvalidId("webhookId", webhookId) ?? (await grains.GetGrain<IWebhookGrain>(webhookId).Delete()
                ? TypedResults.NoContent()
                : NotFound(webhookId)))
        .WithName("deleteWebhook")
        .WithSummary("Delete a subscription and its delivery log; nothing more is sent")
        .Produces(StatusCodes.Status204NoContent)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);

        hooks.MapPost("/{webhookId}/rotate-secret", async (string webhookId, HttpContext http, IGrainFactory grains, TimeProvider clock, CancellationToken ct) =>
        {
            if (Problems.InvalidId("webhookId", webhookId) is { } badId)
            {
                return (IResult)badId;
            }

            var grace = WebhookLimits.DefaultGraceSeconds;
            if (HasBody(http.Request))
            {
                var body = await JsonBody.ReadAsync<RotateWebhookSecretRequest>(http, r => r.GraceSeconds is < 0 or > WebhookLimits.MaxGraceSeconds
                    ? new FieldError("graceSeconds", $"must be between 0 and {WebhookLimits.MaxGraceSeconds} (7 days).")
                    : null, ct);
                if (body.Problem is not null)
                {
                    return body.Problem;
                }

                grace = body.Value!.GraceSeconds ?? grace;
            }

            var now = clock.GetUtcNow();
            var secret = WebhookLimits.NewSecret();
            var result = await grains.GetGrain<IWebhookGrain>(webhookId).RotateSecret(secret, now, now.AddSeconds(grace));
            return result.Outcome == WebhookOutcome.Done ? TypedResults.Ok(WebhookIssued.Of(result.Webhook!, secret)) : NotFound(webhookId);
        })
        .WithName("rotateWebhookSecret")
        .WithSummary("A new signing secret, shown this once; the old one also signs for graceSeconds (default 86400, at most 7 days)")
        .Accepts<RotateWebhookSecretRequest>("application/json")
        .Produces<WebhookIssued>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);

        hooks.MapGet("/{webhookId}/deliveries", async (string webhookId, string? status, string? limit, string? cursor, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("webhookId", webhookId) is { } badId)
            {
                return (IResult)badId;
            }

            var filter = status switch
            {
                null => DeliveryFilter.Any,
                "pending" => DeliveryFilter.Pending,
                "delivered" => DeliveryFilter.Delivered,
                "failed" => DeliveryFilter.Failed,
                "deadLettered" => DeliveryFilter.DeadLettered,
                _ => (DeliveryFilter?)null,
            };
            if (filter is null)
            {
                return Problems.Invalid("status", "must be pending, delivered, failed or deadLettered.");
            }

            var pageSize = WebhookLimits.DefaultPageSize;
            if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > WebhookLimits.MaxPageSize))
            {
                return Problems.Invalid("limit", $"must be between 1 and {WebhookLimits.MaxPageSize}.");
            }

            long? before = null;
            if (cursor is not null)
            {
                if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
                {
                    return Problems.Invalid("cursor", "must be the next value of a previous page.");
                }

                before = value;
            }

            return await grains.GetGrain<IWebhookGrain>(webhookId).Deliveries(filter.Value, before, pageSize) is { } page
                ? TypedResults.Ok(page)
                : NotFound(webhookId);
        })
        .WithName("listWebhookDeliveries")
        .WithSummary("The delivery log, newest first: status (pending, delivered, failed = pending with failed attempts, deadLettered), attempts and the next one")
        .Produces<DeliveryPage>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);

        hooks.MapPost("/{webhookId}/deliveries/{deliveryId}/retry", async (string webhookId, string deliveryId, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("webhookId", webhookId) is { } badId)
            {
                return (IResult)badId;
            }

            if (!long.TryParse(deliveryId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
            {
                return Problems.Invalid("deliveryId", "must be a delivery id from the delivery log.");
            }

            var webhook = grains.GetGrain<IWebhookGrain>(webhookId);
            if (await webhook.Get() is null)
            {
                return NotFound(webhookId);
            }

            return await webhook.Retry(id) is { } delivery
                ? TypedResults.Accepted($"/api/v1/webhooks/{webhookId}/deliveries", delivery)
                : Problems.NotFound("deliveryId", $"Delivery {id} of webhook '{webhookId}' does not exist.");
        })
        .WithName("retryWebhookDelivery")
        .WithSummary("Send one delivery again now, a dead-lettered one too; its retry schedule starts over")
        .Produces<DeliveryView>(StatusCodes.Status202Accepted)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);

        hooks.MapPost("/{webhookId}/replay", async (string webhookId, HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            if (Problems.InvalidId("webhookId", webhookId) is { } badId)
            {
                return (IResult)badId;
            }

            var body = await JsonBody.ReadAsync<ReplayWebhookRequest>(http,
                r => r.FromPosition < 0 ? new FieldError("fromPosition", "must be a feed position, 0 or more.") : null, ct);
            if (body.Problem is not null)
            {
                return body.Problem;
            }

            var from = body.Value!.FromPosition;
            return await grains.GetGrain<IWebhookGrain>(webhookId).Replay(from) is { } result
                ? TypedResults.Accepted($"/api/v1/webhooks/{webhookId}/deliveries", new ReplayAccepted(result.Queued, from, result.Next))
                : NotFound(webhookId);
        })
        .WithName("replayWebhook")
        .WithSummary($"Send again every matching event from a feed position (at most 5,000 per call; next says where to continue)")
        .Accepts<ReplayWebhookRequest>("application/json")
        .Produces<ReplayAccepted>(StatusCodes.Status202Accepted)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static ProblemHttpResult NotFound(string webhookId) => Problems.NotFound("webhookId", $"Webhook '{webhookId}' does not exist.");

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static async Task<ProblemHttpResult?> CheckUrl(string url, WebhookApiOptions options, CancellationToken ct)
    {
        if (TargetPolicy.CheckUrl(url, options.AllowInsecureTargets, out var uri) is { } error)
        {
            return Problems.Invalid("url", error);
        }

        return !options.AllowInsecureTargets && await TargetPolicy.CheckResolved(uri!, ResolveTimeout, ct) is { } resolved
            ? Problems.Invalid("url", resolved)
            : null;
    }

    /// <returns>The first bad pattern, named by its index, or null.</returns>
    public static FieldError? CheckEvents(IReadOnlyList<string>? events, bool required)
    {
        if (events is null || events.Count == 0)
        {
            return required ? new FieldError("events", "list at least one event type or pattern (order.*, stock.low, or * for every type).") : null;
        }

        if (events.Count > EventTypes.MaxPatterns)
        {
            return new FieldError("events", $"at most {EventTypes.MaxPatterns} patterns.");
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (EventTypes.TryExpand([events[i]], out _) is not null)
            {
                return new FieldError($"events[{i}]", $"'{(events[i].Length > 64 ? events[i][..64] + "…" : events[i])}' matches no event type; known types are {string.Join(", ", EventTypes.All)}.");
            }
        }

        return null;
    }
}
