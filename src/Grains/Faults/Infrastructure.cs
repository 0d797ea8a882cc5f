using System.Data.Common;
using Oms.Contracts.Faults;
using Oms.Grains.Stock;
using Orleans.Serialization;
using Orleans.Storage;

namespace Oms.Grains.Faults;

/// <summary>
/// Tells a dependency's failure (the database, a silo, a timeout) from a decision or a bug. A dependency's
/// failure means "not decided": it must be answered as retryable, never recorded as a refusal.
/// </summary>
public static class Infrastructure
{
    public static bool IsFault(Exception exception) => exception switch
    {
        OmsUnavailableException or DbException or TimeoutException or StockLedgerConflictException
            or InconsistentStateException or SiloUnavailableException or OrleansMessageRejectionException
            or UnavailableExceptionFallbackException or System.Net.Sockets.SocketException => true,
        // Storage providers wrap the driver's failure; the grain call was not decided either way.
        OrleansException { InnerException: { } inner } => IsFault(inner),
        OrleansException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsFault),
        OperationCanceledException => true,
        _ => exception.InnerException is { } cause && IsFault(cause),
    };

    /// <summary>
    /// Runs work that happens outside any grain call filter (activation, with its recovery), where a dependency's
    /// failure would otherwise reach the caller as a driver exception it may not deserialize. The activation fails,
    /// the caller retries, and the durable recovery runs again next time.
    /// </summary>
    public static async Task Guard(Func<Task> work, string what)
    {
        try
        {
            await work();
        }
        catch (Exception ex) when (IsFault(ex))
        {
            throw Unavailable(what);
        }
    }

    /// <summary>What crosses the grain boundary instead: serialisable everywhere, with nothing of the driver in it.</summary>
    public static OmsUnavailableException Unavailable(string what) =>
        new($"{what} could not be completed because a dependency failed; nothing was acknowledged, so it may be retried.");
}
