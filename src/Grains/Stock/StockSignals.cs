using Oms.Contracts.Events;

namespace Oms.Grains.Stock;

/// <summary>What a stock item last told the world about its ATP.</summary>
[GenerateSerializer, Alias("oms.StockSignal")]
public enum StockSignal { OutOfStock, Low, InStock }

/// <summary>A stock item's last signal and the last sequence of its events, durable with the ledger.</summary>
/// <remarks>Serializable for Orleans only so the in-memory ledger can keep it in a grain.</remarks>
[GenerateSerializer, Immutable, Alias("oms.StockSignalState")]
public sealed record StockSignalState([property: Id(0)] long Sequence, [property: Id(1)] StockSignal Signal);

/// <summary>A new signal and the events announcing it, written in the same transaction as the append that caused it.</summary>
public sealed record StockSignalChange(StockSignalState State, IReadOnlyList<OutboxEvent> Events);

/// <summary>
/// When a stock item speaks: only when its ATP crosses zero or the location's low-stock threshold, judged once
/// per append (a group commit of many holds is one judgement), so a flash sale does not flood the feed with one
/// event per hold. Pure, so the table of transitions is tested without a grain.
/// </summary>
public static class StockSignals
{
    /// <param name="lowThreshold">The location's <c>lowStockThreshold</c>; 0 turns "low" off.</param>
    public static StockSignal Of(int available, int lowThreshold) =>
        available <= 0 ? StockSignal.OutOfStock
        : lowThreshold > 0 && available <= lowThreshold ? StockSignal.Low
        : StockSignal.InStock;

    /// <summary>The event types a move from one signal to another announces, in order.</summary>
    public static IReadOnlyList<string> Crossings(StockSignal from, StockSignal to) => (from, to) switch
    {
        _ when from == to => [],
        (_, StockSignal.OutOfStock) => [EventTypes.StockOutOfStock],
        (StockSignal.OutOfStock, StockSignal.Low) => [EventTypes.StockBackInStock, EventTypes.StockLow],
        (StockSignal.OutOfStock, StockSignal.InStock) => [EventTypes.StockBackInStock],
        (StockSignal.InStock, StockSignal.Low) => [EventTypes.StockLow],
        // Climbing back above the threshold is not news: no consumer acts on "no longer low".
        _ => [],
    };
}
