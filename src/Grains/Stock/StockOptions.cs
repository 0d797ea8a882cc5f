namespace Oms.Grains.Stock;

public sealed class StockOptions
{
    /// <summary>How long adjustment ids are remembered for de-duplication.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The most commands one append carries; 1 turns group commit off (for comparison only).</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>
    /// The fewest movements between snapshots. A position with many open holds waits for more, in proportion to
    /// its size (see <see cref="StockJournal"/>), so snapshotting costs each movement the same however big it is.
    /// </summary>
    public int SnapshotEvery { get; set; } = 1_000;

    /// <summary>How often every silo looks for stock items whose earliest hold fell due.</summary>
    public TimeSpan ExpirySweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long past its expiry a hold is left to its item's own timer before the sweep steps in; the sweep is
    /// for items whose silo died or that were deactivated, not for healthy ones.
    /// </summary>
    public TimeSpan ExpirySweepGrace { get; set; } = TimeSpan.FromSeconds(1);
}
