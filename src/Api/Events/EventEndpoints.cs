using System.Globalization;
using System.Text;
using Oms.Api.Http;
using Oms.Api.Orders;
using Oms.Api.Security;
using Oms.Contracts.Events;

namespace Oms.Api.Events;

/// <summary>The shape of a feed page for the OpenAPI document; the handler writes the stored CloudEvents verbatim.</summary>
public sealed record FeedResponse(IReadOnlyList<System.Text.Json.JsonElement> Events, long Next);

public static class EventEndpoints
{
    public const int MaxLimit = 1_000;
    public const int MaxWaitSeconds = 30;
    private const long MaxPosition = int.MaxValue;
    private static readonly TimeSpan LongPollMargin = TimeSpan.FromSeconds(3);

    public static void MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events", async (string? after, string? limit, string? types, string? wait, IGrainFactory grains,
            Microsoft.Extensions.Options.IOptions<SecurityOptions> security, CancellationToken ct) =>
        {
            if (Position("after", after, out var from) is { } badAfter)
            {
                return badAfter;
            }

            if (Limit(limit, out var pageSize) is { } badLimit)
            {
                return badLimit;
            }

            IReadOnlyList<string>? wanted = null;
            if (types is not null)
            {
                var patterns = types.Split(',', StringSplitOptions.TrimEntries);
                if (EventTypes.TryExpand(patterns, out var expanded) is { } error)
                {
                    return Problems.Invalid("types", error);
                }

                wanted = expanded.Count == EventTypes.All.Count ? null : [.. expanded];
            }

            var seconds = 0;
            if (wait is not null && (!int.TryParse(wait, NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds > MaxWaitSeconds))
            {
                return Problems.Invalid("wait", $"must be a whole number of seconds between 0 and {MaxWaitSeconds}.");
            }

            // An empty page a little before the request's own timeout, never a 504 for having waited as asked.
            var budget = security.Value.RequestTimeout - LongPollMargin;
            var waitFor = TimeSpan.FromSeconds(seconds) < budget ? TimeSpan.FromSeconds(seconds) : budget;
            var feed = grains.GetGrain<IEventFeedGrain>(0);
            var deadline = DateTime.UtcNow + waitFor;
            var page = await feed.Read(from, pageSize, wanted);
            while (page.Events.Count == 0 && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                // Each wait is short of a grain call's timeout; the loop makes up the long-poll the client asked for.
                var left = deadline - DateTime.UtcNow;
                await feed.WaitBeyond(page.Next, left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5));
                page = await feed.Read(page.Next, pageSize, wanted);
            }

            return Page(page);
        })
        .WithTags("Events")
        .RequireAuthorization(Policies.EventsRead)
        .Produces<FeedResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest);

        app.MapGet("/api/v1/orders/{orderId}/events", async (string orderId, string? after, string? limit, HttpContext http, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("orderId", orderId) is { } badId)
            {
                return (IResult)badId;
            }

            if (Position("after", after, out var from) is { } badAfter)
            {
                return badAfter;
            }

            if (Limit(limit, out var pageSize) is { } badLimit)
            {
                return badLimit;
            }

            if (await OrderScopes.Visible(http, grains, orderId) is null)
            {
                return OrderScopes.NotFound(orderId);
            }

            return Page(await grains.GetGrain<IEventFeedGrain>(0).ReadSubject(Subjects.Order(orderId), from, pageSize));
        })
        .WithTags("Orders")
        .RequireAuthorization(Policies.OrdersRead)
        .Produces<FeedResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>The stored bodies go out byte for byte: what a reader gets is what a webhook receiver verified.</summary>
    private static IResult Page(FeedPage page)
    {
        var json = new StringBuilder(64 + page.Events.Sum(e => e.Body.Length + 1));
        json.Append("{\"events\":[");
        for (var i = 0; i < page.Events.Count; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(page.Events[i].Body);
        }

        json.Append("],\"next\":").Append(page.Next.ToString(CultureInfo.InvariantCulture)).Append('}');
        return Results.Content(json.ToString(), "application/json", Encoding.UTF8);
    }

    private static IResult? Position(string field, string? value, out long position)
    {
        position = 0;
        return value is not null && (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out position) || position > MaxPosition)
            ? Problems.Invalid(field, $"must be a whole number between 0 and {MaxPosition}, such as the previous page's next.")
            : null;
    }

    private static IResult? Limit(string? value, out int limit)
    {
        limit = 100;
        return value is not null && (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit)
            ? Problems.Invalid("limit", $"must be a whole number between 1 and {MaxLimit}.")
            : null;
    }
}
