using Oms.Contracts.Stock;

namespace Oms.Benchmarks.Grains;

/// <summary>The hold-and-release round the hold benchmarks share, so their figures stay comparable.</summary>
public static class HoldWorkload
{
    /// <summary>
    /// A released id is remembered until its hold would have expired; every commit prunes that memory and every
    /// snapshot carries it. Two seconds keeps it at a couple of seconds' worth of releases however long a run lasts.
    /// </summary>
    public static readonly TimeSpan HoldTtl = TimeSpan.FromSeconds(2);

    /// <summary>One hold, then its release; the pair is the unit every hold benchmark reports.</summary>
    public static async Task HoldAndRelease(IStockItemGrain stockItem, string reservationId)
    {
        Check(reservationId, await stockItem.PlaceHold(reservationId, 1, DateTimeOffset.UtcNow + HoldTtl));
        await stockItem.ReleaseHold(reservationId);
    }

    /// <summary>
    /// All the holds at once, then all the releases at once: what a hot SKU sees when many checkouts land
    /// together, and the only shape in which group commit has anything to batch.
    /// </summary>
    public static async Task ConcurrentHoldAndRelease(IStockItemGrain stockItem, string[] reservationIds)
    {
        var expiresAt = DateTimeOffset.UtcNow + HoldTtl;
        var holds = new Task<HoldResult>[reservationIds.Length];
        for (var i = 0; i < reservationIds.Length; i++)
        {
            holds[i] = stockItem.PlaceHold(reservationIds[i], 1, expiresAt);
        }

        var results = await Task.WhenAll(holds);
        for (var i = 0; i < results.Length; i++)
        {
            Check(reservationIds[i], results[i]);
        }

        var releases = new Task[reservationIds.Length];
        for (var i = 0; i < reservationIds.Length; i++)
        {
            releases[i] = stockItem.ReleaseHold(reservationIds[i]);
        }

        await Task.WhenAll(releases);
    }

    /// <summary>Holds that stay open for the whole run: other checkouts' carts on the same item.</summary>
    public static async Task OpenHolds(IStockItemGrain stockItem, int count, int inFlight)
    {
        var openUntil = DateTimeOffset.UtcNow.AddHours(1);
        for (var start = 0; start < count; start += inFlight)
        {
            var batch = Enumerable.Range(start, Math.Min(inFlight, count - start))
                .Select(async i =>
                {
                    var id = $"open-{i}";
                    Check(id, await stockItem.PlaceHold(id, 1, openUntil));
                });
            await Task.WhenAll(batch);
        }
    }

    private static void Check(string reservationId, HoldResult result)
    {
        // A refused hold is cheaper than a placed one, so timing it would flatter the figure.
        if (result.Outcome != HoldOutcome.Held)
        {
            throw new InvalidOperationException($"Hold {reservationId} was {result.Outcome}: {result.Reason}");
        }
    }
}
