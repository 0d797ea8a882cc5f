using Oms.Contracts.Orders;

namespace Oms.Grains.Orders;

/// <summary>
/// Where order search's rows live: a PostgreSQL table with indexes when the silo has a database, else memory. The
/// projection is its only writer; it answers searches exactly as <see cref="OrderSearch"/> says.
/// </summary>
public interface IOrderIndexStore
{
    /// <summary>The feed position the rows reflect: every order event up to it is projected.</summary>
    Task<long> Checkpoint(CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps each row whose <see cref="OrderSummary.Position"/> is newer than the one stored, and moves the checkpoint
    /// to <paramref name="checkpoint"/>, all or nothing, so a crash between the two cannot skip or repeat a row.
    /// </summary>
    Task Apply(IReadOnlyList<OrderSummary> rows, long checkpoint, CancellationToken cancellationToken = default);

    /// <exception cref="ArgumentException">A limit outside 1..<see cref="OrderSearch.MaxLimit"/>, or a cursor this search did not give.</exception>
    Task<OrderSearchPage> Search(OrderQuery query, CancellationToken cancellationToken = default);

    /// <summary>Forgets every row and the checkpoint, so the projection rebuilds from the start of the feed.</summary>
    Task Reset(CancellationToken cancellationToken = default);
}
