using Microsoft.Extensions.Logging;

namespace Oms.Grains.Hosting;

/// <summary>The loop every silo's sweeps share (hold expiries, reservation deadlines, watches).</summary>
public static class Sweep
{
    /// <summary>
    /// One <paramref name="pass"/> per <paramref name="interval"/> until the host stops. A failed pass is tried again
    /// at the next tick and logged once per outage, not once a second: readiness already reports the database.
    /// </summary>
    public static async Task Every(TimeSpan interval, TimeProvider clock, ILogger logger, string name,
        Func<CancellationToken, Task> pass, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, clock);
        var failing = false;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await pass(stoppingToken);
                failing = false;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    logger.LogWarning(ex, "The {Sweep} failed; it retries every {Interval}", name, interval);
                }

                failing = true;
            }
        }
    }

    /// <summary>
    /// Wakes every grain of a pass, 32 at a time. A wake that fails or hangs on a dead silo holds up no other, and
    /// goes to <paramref name="missed"/>: what the sweep read stays where it is for a later pass.
    /// </summary>
    public static Task WakeEach<T>(IEnumerable<T> due, TimeSpan timeout, Func<T, Task> wake, Action<T, Exception> missed,
        CancellationToken stoppingToken) =>
        Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = stoppingToken }, async (item, _) =>
        {
            try
            {
                await wake(item).WaitAsync(timeout, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                missed(item, ex);
            }
        });
}
