using System.Globalization;
using System.Text.Json;
using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts.Orders;
using Oms.Contracts.Security;
using Oms.Grains;
using Oms.Grains.Orders;

namespace Oms.Api.Orders;

/// <summary>
/// Order search for care, storefronts and boutiques: a read of the projection the event feed keeps, newest first (or oldest, for a queue),
/// never a fan-out over order grains. The credential narrows it as it narrows reading one order.
/// </summary>
public static class OrderSearchEndpoints
{
    private static readonly IReadOnlyDictionary<string, OrderStatus> Statuses =
        Enum.GetValues<OrderStatus>().Where(s => s is not (OrderStatus.Pending or OrderStatus.Failed))
            .ToDictionary(s => JsonNamingPolicy.CamelCase.ConvertName(s.ToString()), StringComparer.Ordinal);

    private static readonly IReadOnlyDictionary<string, OrderChannel> Channels =
        Enum.GetValues<OrderChannel>().ToDictionary(c => JsonNamingPolicy.CamelCase.ConvertName(c.ToString()), StringComparer.Ordinal);

    private static readonly string[] Parameters =
        ["limit", "cursor", "sort", "email", "customerId", "name", "status", "channel", "locationId", "needsAttention", "createdFrom", "createdTo", "q"];

    private static readonly IReadOnlyDictionary<string, OrderSort> Sorts =
        Enum.GetValues<OrderSort>().ToDictionary(Name, StringComparer.Ordinal);

    public static string SortPattern => $"^({string.Join("|", Sorts.Keys)})$";

    public static string StatusPattern => $"^({string.Join("|", Statuses.Keys)})$";

    public static string ChannelPattern => $"^({string.Join("|", Channels.Keys)})$";

    public static void MapOrderSearch(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/orders", async (HttpContext http, IGrainFactory grains, CancellationToken ct) =>
        {
            var (query, problem) = Read(http.Request.Query, http.Credential());
            if (problem is not null)
            {
                return (IResult)problem;
            }

            ct.ThrowIfCancellationRequested();
            return TypedResults.Ok(await grains.GetGrain<IOrderIndexGrain>(0).Search(query!));
        })
        .WithTags("Orders")
        .RequireAuthorization(Policies.OrdersSearch)
        .Produces<OrderSearchPage>()
        .ProducesProblem(StatusCodes.Status400BadRequest);

        app.MapPost("/api/v1/order-search/rebuild", async (IGrainFactory grains) =>
        {
            await grains.GetGrain<IOrderIndexGrain>(0).Rebuild();
            return TypedResults.Accepted("/api/v1/orders");
        })
        .WithTags("Orders")
        .RequireAuthorization(Policies.OrderSearchRebuild)
        .Produces(StatusCodes.Status202Accepted);
    }

    /// <summary>The query string as a search, within the credential's channels and boutiques; or the problem naming the field.</summary>
    public static (OrderQuery? Query, IResult? Problem) Read(IQueryCollection q, Credential credential)
    {
        // A filter given twice is refused, not resolved: which one a client meant is a guess, and the last one narrows
        // or widens the search without anyone noticing.
        if (Parameters.FirstOrDefault(name => q[name].Count > 1) is { } repeated)
        {
            return Bad(repeated, "is given more than once; give it once.");
        }

        string? One(string name) => q[name].Count > 0 ? q[name][0] : null;

        var limit = OrderSearch.DefaultLimit;
        if (One("limit") is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > OrderSearch.MaxLimit))
        {
            return Bad("limit", $"must be a whole number between 1 and {OrderSearch.MaxLimit}.");
        }

        var sort = OrderSort.Newest;
        if (One("sort") is { } sortText)
        {
            if (!Sorts.TryGetValue(sortText, out sort))
            {
                return Bad("sort", $"must be one of {string.Join(", ", Sorts.Keys)}.");
            }
        }

        var cursor = One("cursor");
        if (cursor is not null)
        {
            if (!OrderSearch.TryReadCursor(cursor, out var given, out _))
            {
                return Bad("cursor", "is not a cursor this search gave out; pass a page's next as it is.");
            }

            // Read the other way, the cursor's page boundary would skip or repeat orders: refused rather than guessed.
            if (given != sort)
            {
                return Bad("cursor", $"was given by a search sorted {Name(given)} first; page it with sort={Name(given)}.");
            }
        }

        var email = One("email");
        var badText = (email is not null ? FieldError.ForEmail("email", email) : null)
            ?? (One("customerId") is { } customer ? FieldError.ForId("customerId", customer) : null)
            ?? (One("locationId") is { } location ? FieldError.ForId("locationId", location) : null)
            ?? FieldError.ForText("name", One("name"), OrderSearch.MaxTextLength, required: false)
            ?? FieldError.ForText("q", One("q"), OrderSearch.MaxTextLength, required: false);
        if (badText is not null)
        {
            return (null, Problems.Invalid(badText));
        }

        OrderStatus? status = null;
        if (One("status") is { } statusText)
        {
            if (!Statuses.TryGetValue(statusText, out var known))
            {
                return Bad("status", $"must be one of {string.Join(", ", Statuses.Keys)}.");
            }

            status = known;
        }

        OrderChannel? channel = null;
        if (One("channel") is { } channelText)
        {
            if (!Channels.TryGetValue(channelText, out var known))
            {
                return Bad("channel", $"must be one of {string.Join(", ", Channels.Keys)}.");
            }

            channel = known;
        }

        bool? attention = null;
        if (One("needsAttention") is { } attentionText)
        {
            if (!bool.TryParse(attentionText, out var flag))
            {
                return Bad("needsAttention", "must be true or false.");
            }

            attention = flag;
        }

        var (from, fromProblem) = Instant(One("createdFrom"), "createdFrom");
        var (to, toProblem) = Instant(One("createdTo"), "createdTo");
        if ((fromProblem ?? toProblem) is { } badInstant)
        {
            return (null, badInstant);
        }

        if (from is not null && to is not null && to <= from)
        {
            return Bad("createdTo", "must be after createdFrom.");
        }

        // A storefront sees its channels' orders, a boutique the orders that touch it: as reading one order.
        var query = new OrderQuery(limit, cursor, email, One("customerId"), One("name"), status, channel, One("locationId"), attention, from, to,
            string.IsNullOrWhiteSpace(One("q")) ? null : One("q")!.Trim(),
            credential.SeesEveryChannel || credential.Role == ApiRole.Store ? null : [.. credential.Channels],
            credential.Role == ApiRole.Store ? [.. credential.LocationIds] : null,
            sort);
        return (query, null);
    }

    private static (DateTimeOffset? Value, IResult? Problem) Instant(string? text, string field) =>
        text is null ? (null, null)
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? (value, null)
        : (null, Problems.Invalid(field, "must be an ISO 8601 instant, such as 2026-12-01T00:00:00Z."));

    private static string Name(OrderSort sort) => JsonNamingPolicy.CamelCase.ConvertName(sort.ToString());

    private static (OrderQuery?, IResult?) Bad(string field, string message) => (null, Problems.Invalid(field, message));
}
