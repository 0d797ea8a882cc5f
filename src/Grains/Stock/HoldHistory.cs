using Oms.Contracts.Stock;

namespace Oms.Grains.Stock;

/// <summary>What became of a hold, read from its own ledger movements. Pure: no Orleans, no I/O.</summary>
public static class HoldHistory
{
    /// <param name="movements">The item's movements under the hold's reference, oldest first.</param>
    /// <returns>The latest placement under the reference and how it ended; null if it was never placed.</returns>
    /// <remarks>
    /// Only the latest placement counts: a reference may be used afresh after its idempotency window, and the
    /// earlier hold is history by then.
    /// </remarks>
    public static StockHoldView? Describe(string reference, IReadOnlyList<StockMovement> movements)
    {
        var placedAt = -1;
        for (var i = movements.Count - 1; i >= 0; i--)
        {
            if (movements[i].Kind == MovementKind.HoldPlaced)
            {
                placedAt = i;
                break;
            }
        }

        if (placedAt < 0)
        {
            return null;
        }

        var placed = movements[placedAt];
        var ended = movements.Skip(placedAt + 1).FirstOrDefault(m => m.Kind is MovementKind.HoldReleased or MovementKind.HoldExpired or MovementKind.HoldAllocated);
        var status = ended?.Kind switch
        {
            null => HoldStatus.Held,
            MovementKind.HoldReleased => HoldStatus.Released,
            MovementKind.HoldExpired => HoldStatus.Expired,
            _ => HoldStatus.Allocated,
        };
        return new StockHoldView(reference, status, placed.Quantity, placed.ExpiresAt!.Value, placed.At, ended?.At, placed.CustomerId);
    }
}
