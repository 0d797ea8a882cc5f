using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Oms.LoadTest.Scenarios;

namespace Oms.LoadTest.Engine;

/// <summary>Runs one prepared scenario for warm-up plus duration, in the open or the closed model.</summary>
/// <param name="trafficKey">The credential the measured requests carry, when it differs from the client's default
/// (the setup key); one immutable header value shared by every request.</param>
internal sealed class LoadRunner(HttpClient http, LoadOptions options, AuthenticationHeaderValue? trafficKey = null)
{
    // How long the drain after the last scheduled request may take beyond the request timeout itself.
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    public async Task<RunRecorder> RunAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        var span = options.Warmup + options.Duration + options.RequestTimeout + DrainGrace;
        // Starting a little in the future gives the scheduler a clean first tick instead of a burst of catch-up.
        var origin = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        var recorder = new RunRecorder(origin, origin + Ticks(options.Warmup), span);
        var end = recorder.MeasureFrom + Ticks(options.Duration);

        if (options.ClosedLoop)
        {
            await RunClosedAsync(scenario, recorder, end, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await RunOpenAsync(scenario, recorder, end, cancellationToken).ConfigureAwait(false);
        }

        return recorder;
    }

    /// <summary>
    /// Requests are due at fixed intervals whether or not earlier ones have answered (an open model, like real
    /// shoppers). A request due while the cap is reached is dropped and counted, never delayed, since delaying it
    /// would quietly lower the offered rate.
    /// </summary>
    private async Task RunOpenAsync(Scenario scenario, RunRecorder recorder, long end, CancellationToken cancellationToken)
    {
        var inFlight = new InFlight();
        var scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A dedicated thread rather than an async loop: on a saturated 2-core machine a timer continuation can wait
        // behind hundreds of response callbacks in the thread pool queue, and every millisecond it waits is added
        // to the latency of every request that falls due meanwhile. The lateness that remains is measured
        // (RunRecorder.SendLag) so it can be told apart from the server's.
        var thread = new Thread(() =>
        {
            try
            {
                Schedule(scenario, recorder, end, inFlight, cancellationToken);
                scheduled.SetResult();
            }
            catch (Exception ex)
            {
                scheduled.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "open-model scheduler",
        };
        thread.Start();
        await scheduled.Task.ConfigureAwait(false);
        await inFlight.DrainAsync(options.RequestTimeout + DrainGrace, cancellationToken).ConfigureAwait(false);
    }

    private void Schedule(Scenario scenario, RunRecorder recorder, long end, InFlight inFlight, CancellationToken cancellationToken)
    {
        var interval = Stopwatch.Frequency / options.Rate;
        var random = new Random(options.RandomSeed);
        var millisecond = Stopwatch.Frequency / 1000;
        long sequence = 0;

        while (!cancellationToken.IsCancellationRequested)
        {
            if (options.Requests is { } limit && sequence >= limit)
            {
                return;
            }

            var intended = recorder.Origin + (long)(sequence * interval);
            if (intended >= end)
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            if (intended > now)
            {
                // Sleep granularity is about a millisecond, so requests due within one tick go out together (each
                // still timed from its own due time). Spinning for finer timing would steal a core from the server.
                Thread.Sleep((int)Math.Max(1, (intended - now) / millisecond));
                continue;
            }

            if (!inFlight.TryEnter(options.ConcurrencyCap))
            {
                recorder.Drop(intended);
            }
            else
            {
                recorder.Lag(intended, now);
                var request = scenario.Next(sequence, random);
                _ = SendAsync(scenario, request, intended, recorder, inFlight, cancellationToken);
            }

            sequence++;
        }
    }

    /// <summary>
    /// N connections each send, wait for the answer, and send again: the model of pgbench -c N. Latency counts
    /// from the actual send, because there is no schedule to fall behind.
    /// </summary>
    private async Task RunClosedAsync(Scenario scenario, RunRecorder recorder, long end, CancellationToken cancellationToken)
    {
        long issued = 0;
        var inFlight = new InFlight();

        async Task ConnectionAsync(int connection)
        {
            // One generator per connection: Random is not thread-safe, and a shared lock would serialise the loop.
            var random = new Random(HashCode.Combine(options.RandomSeed, connection));
            while (!cancellationToken.IsCancellationRequested)
            {
                var sequence = Interlocked.Increment(ref issued) - 1;
                if (options.Requests is { } limit && sequence >= limit)
                {
                    return;
                }

                var started = Stopwatch.GetTimestamp();
                if (started >= end)
                {
                    return;
                }

                inFlight.TryEnter(int.MaxValue);
                await SendAsync(scenario, scenario.Next(sequence, random), started, recorder, inFlight, cancellationToken)
                    .ConfigureAwait(false);
            }
        }

        // Connections start at the origin together, like pgbench's clients.
        var delay = recorder.Origin - Stopwatch.GetTimestamp();
        if (delay > 0)
        {
            await Task.Delay(TimeSpan.FromTicks(delay * TimeSpan.TicksPerSecond / Stopwatch.Frequency), cancellationToken).ConfigureAwait(false);
        }

        await Task.WhenAll(Enumerable.Range(0, options.ConcurrencyCap).Select(c => Task.Run(() => ConnectionAsync(c), cancellationToken)))
            .ConfigureAwait(false);
    }

    private async Task SendAsync(
        Scenario scenario, PlannedRequest request, long intended, RunRecorder recorder, InFlight inFlight, CancellationToken cancellationToken)
    {
        try
        {
            using var message = request.Message;
            if (trafficKey is not null)
            {
                message.Headers.Authorization = trafficKey;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.RequestTimeout);
            try
            {
                // ResponseContentRead: a request is done when its whole body has arrived, as for a real client.
                using var response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token)
                    .ConfigureAwait(false);
                var outcome = scenario.Classify(response.StatusCode);
                scenario.Acknowledge(request, response.StatusCode);
                recorder.Complete(intended, Stopwatch.GetTimestamp(), outcome, outcome == Outcome.Error ? Kind(response.StatusCode) : null, latencyKnown: true);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A timed-out request still tells how long a buyer waited before giving up, so it goes into the histogram.
                recorder.Complete(intended, Stopwatch.GetTimestamp(), Outcome.Error, "timeout", latencyKnown: true);
            }
            catch (HttpRequestException ex)
            {
                // A refused or reset connection fails fast; recording its latency would flatter the percentiles.
                recorder.Complete(intended, Stopwatch.GetTimestamp(), Outcome.Error, ex.HttpRequestError.ToString(), latencyKnown: false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The whole run is being abandoned (Ctrl+C); nothing left to record.
        }
        finally
        {
            inFlight.Exit();
        }
    }

    private static string Kind(HttpStatusCode status) => "http" + ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private sealed class InFlight
    {
        private int _count;

        public bool TryEnter(int cap)
        {
            // Only the single scheduler enters in the open model, so a read-then-increment cannot overshoot the cap.
            if (Volatile.Read(ref _count) >= cap)
            {
                return false;
            }

            Interlocked.Increment(ref _count);
            return true;
        }

        public void Exit() => Interlocked.Decrement(ref _count);

        public async Task DrainAsync(TimeSpan limit, CancellationToken cancellationToken)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
            while (Volatile.Read(ref _count) > 0 && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
