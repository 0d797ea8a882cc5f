namespace Oms.Grains.Stock;

public sealed class StockOptions
{
    /// <summary>How long adjustment ids are remembered for de-duplication.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromDays(7);
}
