using Oms.Contracts.Orders;
using Oms.Grains.Queues;

namespace Oms.Grains.Orders;

/// <summary>
/// The rules of order search, without Orleans or a database: the row an order view projects to, whether a row
/// matches a query (the credential's channels and boutiques included), newest or oldest first, and the opaque cursor. The
/// in-memory index uses them as they are; a database index must answer the same, which the tests hold it to.
/// </summary>
public static class OrderSearch
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    public const int MaxTextLength = 200;

    /// <summary>
    /// The cursor's task part: a search row is one per order, and the part says which direction gave the cursor.
    /// Newest keeps the name it had before searches could be sorted, so cursors already handed out still read.
    /// </summary>
    private const string NewestKey = "order";

    private const string OldestKey = "order-oldest";

    private static string RowKey(OrderSort sort) => sort == OrderSort.Oldest ? OldestKey : NewestKey;

    public static OrderSummary Project(OrderView order, long position, DateTimeOffset at)
    {
        var locations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in order.Fulfilments)
        {
            locations.Add(f.LocationId);
            if (f.PickupLocationId is { } pickup)
            {
                locations.Add(pickup);
            }
        }

        if (order.Delivery.PickupLocationId is { } counter)
        {
            locations.Add(counter);
        }

        if (order.StoreLocationId is { } store)
        {
            locations.Add(store);
        }

        return new OrderSummary(
            order.OrderId, order.CreatedAt, at, order.Status, order.Channel, order.Customer.CustomerId, order.Customer.Email, order.Customer.Name,
            [.. locations], order.NeedsAttention,
            order.Lines.Sum(l => l.UnitPrice * l.Quantity), order.Lines.FirstOrDefault()?.Currency ?? "", order.Lines.Sum(l => l.Quantity), position);
    }

    public static bool Matches(OrderSummary row, OrderQuery query) =>
        (query.Channels is null || query.Channels.Contains(row.Channel))
        && (query.Locations is null || row.LocationIds.Any(query.Locations.Contains))
        && (query.Email is null || string.Equals(row.Email, query.Email, StringComparison.OrdinalIgnoreCase))
        && (query.CustomerId is null || row.CustomerId == query.CustomerId)
        && (query.Name is null || Contains(row.Name, query.Name))
        && (query.Status is null || row.Status == query.Status)
        && (query.Channel is null || row.Channel == query.Channel)
        && (query.LocationId is null || row.LocationIds.Contains(query.LocationId))
        && (query.NeedsAttention is null || (row.NeedsAttention is not null) == query.NeedsAttention)
        && (query.CreatedFrom is null || row.CreatedAt >= query.CreatedFrom)
        && (query.CreatedTo is null || row.CreatedAt < query.CreatedTo)
        && (query.Q is null || Contains(row.OrderId, query.Q) || Contains(row.Email, query.Q) || Contains(row.Name, query.Q));

    /// <summary>Newest first; the same instant falls back to the order id, so a page boundary is exact.</summary>
    public static int Compare(OrderSummary a, OrderSummary b) => Compare(a, b, OrderSort.Newest);

    /// <summary>By creation, then by order id ordinally, in the direction asked: oldest first is newest first reversed exactly.</summary>
    public static int Compare(OrderSummary a, OrderSummary b, OrderSort sort)
    {
        var byTime = a.CreatedAt.UtcTicks.CompareTo(b.CreatedAt.UtcTicks);
        var ascending = byTime != 0 ? byTime : string.CompareOrdinal(a.OrderId, b.OrderId);
        return sort == OrderSort.Oldest ? ascending : -ascending;
    }

    public static string Cursor(OrderSummary last, OrderSort sort = OrderSort.Newest) =>
        WorkQueueCursor.Write(new WorkQueueKey(last.CreatedAt.UtcTicks, last.OrderId, RowKey(sort)));

    /// <summary>Never throws: a cursor comes from a client.</summary>
    /// <param name="sort">The direction of the search that gave the cursor.</param>
    public static bool TryReadCursor(string? cursor, out OrderSort sort, out (long CreatedTicks, string OrderId) after)
    {
        after = default;
        sort = default;
        if (!WorkQueueCursor.TryRead(cursor, out var key))
        {
            return false;
        }

        if (key.TaskId == NewestKey)
        {
            sort = OrderSort.Newest;
        }
        else if (key.TaskId == OldestKey)
        {
            sort = OrderSort.Oldest;
        }
        else
        {
            return false;
        }

        after = (key.AtUtcTicks, key.OrderId);
        return true;
    }

    /// <summary>Whether the cursor is one a search in this direction gave: the other direction's would skip or repeat rows.</summary>
    public static bool TryReadCursor(string? cursor, OrderSort sort, out (long CreatedTicks, string OrderId) after) =>
        TryReadCursor(cursor, out var given, out after) && given == sort;

    /// <summary>Whether the row sorts after the cursor's, that is, belongs to a later page.</summary>
    public static bool After(OrderSummary row, (long CreatedTicks, string OrderId) cursor, OrderSort sort = OrderSort.Newest)
    {
        var byTime = row.CreatedAt.UtcTicks.CompareTo(cursor.CreatedTicks);
        var ascending = byTime != 0 ? byTime : string.CompareOrdinal(row.OrderId, cursor.OrderId);
        return sort == OrderSort.Oldest ? ascending > 0 : ascending < 0;
    }

    /// <summary>A page of <paramref name="rows"/> (in any order) for the query.</summary>
    /// <exception cref="ArgumentException">A limit outside 1..<see cref="MaxLimit"/>, or a cursor this search (in this direction) did not give.</exception>
    public static OrderSearchPage Page(IEnumerable<OrderSummary> rows, OrderQuery query)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, MaxLimit);
        var after = ReadCursor(query);
        var matching = rows.Where(r => Matches(r, query) && (after is not { } a || After(r, a, query.Sort))).ToList();
        matching.Sort((a, b) => Compare(a, b, query.Sort));
        var items = matching.Take(query.Limit).ToList();
        return new OrderSearchPage(items, matching.Count > query.Limit ? Cursor(items[^1], query.Sort) : null);
    }

    /// <summary>The query's cursor, checked as every store must check it before it reads a row.</summary>
    /// <exception cref="ArgumentException">A cursor this search did not give, or gave in the other direction.</exception>
    public static (long CreatedTicks, string OrderId)? ReadCursor(OrderQuery query) =>
        query.Cursor is null ? null
        : TryReadCursor(query.Cursor, query.Sort, out var after) ? after
        : throw new ArgumentException("Not a cursor of order search in this direction.", nameof(query));

    private static bool Contains(string? text, string part) => text is not null && text.Contains(part, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The search rows of every order, kept in memory (the default, and the demo's): each order's newest row by feed
/// position, so a projection replayed from the start, or an event read twice, ends where it should.
/// </summary>
/// <remarks>A search scans every row; with PostgreSQL configured the table's indexes answer instead.</remarks>
public sealed class OrderIndex
{
    private readonly Dictionary<string, OrderSummary> _rows = new(StringComparer.Ordinal);

    public int Count => _rows.Count;

    /// <returns>Whether the row is newer than the one kept, and so replaced it.</returns>
    public bool Upsert(OrderSummary row)
    {
        if (_rows.TryGetValue(row.OrderId, out var kept) && kept.Position >= row.Position)
        {
            return false;
        }

        _rows[row.OrderId] = row;
        return true;
    }

    public OrderSearchPage Search(OrderQuery query) => OrderSearch.Page(_rows.Values, query);

    public void Clear() => _rows.Clear();
}
