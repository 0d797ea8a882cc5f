using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace Oms.LoadTest.Engine;

/// <summary>
/// Everything one scenario run observes. Written concurrently by every in-flight request, so counters are
/// interlocked and the latency histogram is HdrHistogram's concurrent variant.
/// </summary>
internal sealed class RunRecorder
{
    // An hour is far beyond any timeout the tool allows, so no latency is ever clamped in practice.
    public const long HighestMicroseconds = 3_600_000_000;

    private readonly long[] _completionsPerSecond;
    private readonly ConcurrentDictionary<string, long> _errorKinds = new(StringComparer.Ordinal);
    private long _ok;
    private long _refused;
    private long _errors;
    private long _dropped;
    private long _lastCompletion;

    public RunRecorder(long origin, long measureFrom, TimeSpan span)
    {
        Origin = origin;
        MeasureFrom = measureFrom;
        _completionsPerSecond = new long[(int)Math.Ceiling(span.TotalSeconds) + 1];
        _lastCompletion = measureFrom;
    }

    /// <summary>Stopwatch timestamp of the first scheduled request.</summary>
    public long Origin { get; }

    /// <summary>Stopwatch timestamp from which requests count (the end of the warm-up).</summary>
    public long MeasureFrom { get; }

    public LongConcurrentHistogram Latency { get; } = new(1, HighestMicroseconds, 3);

    /// <summary>Open model only: how late the generator itself sent each request. Part of the recorded latency,
    /// but the generator's doing, not the server's; large values mean the generator was starved of CPU.</summary>
    public LongHistogram SendLag { get; } = new(1, HighestMicroseconds, 3);

    public long Ok => Interlocked.Read(ref _ok);
    public long Refused => Interlocked.Read(ref _refused);
    public long Errors => Interlocked.Read(ref _errors);
    public long Dropped => Interlocked.Read(ref _dropped);
    public long LastCompletion => Interlocked.Read(ref _lastCompletion);
    public IReadOnlyDictionary<string, long> ErrorKinds => _errorKinds;

    /// <param name="intended">When the request should have gone out; latency counts from here, not from when it
    /// actually went out, so a stalled server (or generator) cannot hide the wait it imposed on queued buyers.</param>
    public void Complete(long intended, long completed, Outcome outcome, string? errorKind, bool latencyKnown)
    {
        if (intended < MeasureFrom)
        {
            return;
        }

        if (latencyKnown)
        {
            var micros = (completed - intended) * 1_000_000 / Stopwatch.Frequency;
            Latency.RecordValue(Math.Clamp(micros, 1, HighestMicroseconds));
        }

        switch (outcome)
        {
            case Outcome.Ok:
                Interlocked.Increment(ref _ok);
                break;
            case Outcome.Refused:
                Interlocked.Increment(ref _refused);
                break;
            default:
                Interlocked.Increment(ref _errors);
                _errorKinds.AddOrUpdate(errorKind ?? "error", 1, (_, n) => n + 1);
                break;
        }

        var second = (completed - Origin) / Stopwatch.Frequency;
        if (second >= 0 && second < _completionsPerSecond.Length)
        {
            Interlocked.Increment(ref _completionsPerSecond[second]);
        }

        long seen;
        while (completed > (seen = Interlocked.Read(ref _lastCompletion)))
        {
            if (Interlocked.CompareExchange(ref _lastCompletion, completed, seen) == seen)
            {
                break;
            }
        }
    }

    /// <remarks>Called only from the single scheduler thread, hence the plain histogram.</remarks>
    public void Lag(long intended, long sent)
    {
        if (intended >= MeasureFrom)
        {
            SendLag.RecordValue(Math.Clamp((sent - intended) * 1_000_000 / Stopwatch.Frequency, 1, HighestMicroseconds));
        }
    }

    public void Drop(long intended)
    {
        if (intended >= MeasureFrom)
        {
            Interlocked.Increment(ref _dropped);
            _errorKinds.AddOrUpdate("dropped", 1, (_, n) => n + 1);
        }
    }

    /// <summary>Completions in each whole second after the warm-up, so a throughput that decays during a run shows.</summary>
    public long[] MeasuredCompletionsPerSecond(TimeSpan warmup, TimeSpan duration)
    {
        var first = (int)Math.Floor(warmup.TotalSeconds);
        var count = Math.Min((int)Math.Floor(duration.TotalSeconds), _completionsPerSecond.Length - first);
        return count <= 0 ? [] : _completionsPerSecond.AsSpan(first, count).ToArray();
    }
}
