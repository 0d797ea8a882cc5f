namespace Oms.Grains.Stock;

public sealed class StockOptions
{
    /// <summary>How long adjustment ids are remembered for de-duplication.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The most commands one append carries; 1 turns group commit off (for comparison only).</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>Movements between snapshots; bounds what an activation replays.</summary>
    public int SnapshotEvery { get; set; } = 1_000;
}
