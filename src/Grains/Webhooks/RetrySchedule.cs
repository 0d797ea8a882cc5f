using System.Globalization;

namespace Oms.Grains.Webhooks;

/// <summary>
/// When a failed delivery is tried again: the delays after each failed attempt, with jitter so that a receiver
/// coming back is not hit by every subscription's backlog in the same second. After the last delay's attempt
/// fails, the delivery is dead-lettered.
/// </summary>
public sealed class RetrySchedule
{
    public const int MaxDelays = 50;
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7);

    /// <summary>Standard Webhooks' schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h.</summary>
    public static readonly RetrySchedule Default = new([
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
        TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ]);

    /// <summary>Each delay is stretched or shrunk by up to this fraction.</summary>
    public const double Jitter = 0.1;

    public RetrySchedule(IReadOnlyList<TimeSpan> delays)
    {
        if (Validate(delays) is { } error)
        {
            throw new ArgumentException(error, nameof(delays));
        }

        Delays = delays;
    }

    public IReadOnlyList<TimeSpan> Delays { get; }

    /// <summary>The first attempt plus one after each delay.</summary>
    public int MaxAttempts => Delays.Count + 1;

    /// <returns>The wait before the next attempt after <paramref name="failures"/> failed ones, or null: dead-letter it.</returns>
    /// <param name="unit">A number in [0, 1) (the caller's random source), which places the jitter.</param>
    public TimeSpan? After(int failures, double unit)
    {
        if (failures < 1 || failures > Delays.Count)
        {
            return null;
        }

        var delay = Delays[failures - 1];
        var factor = 1 + Jitter * (2 * unit - 1);
        return TimeSpan.FromTicks((long)(delay.Ticks * factor));
    }

    /// <summary>Parses <c>Oms:Webhooks:RetrySchedule</c>: comma-separated TimeSpans (<c>00:00:05,00:05:00</c>).</summary>
    public static RetrySchedule Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Default;
        }

        var delays = new List<TimeSpan>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TimeSpan.TryParse(part, CultureInfo.InvariantCulture, out var delay))
            {
                throw new FormatException($"Oms:Webhooks:RetrySchedule: '{part}' is not a TimeSpan (use hh:mm:ss, comma-separated).");
            }

            delays.Add(delay);
        }

        if (Validate(delays) is { } error)
        {
            throw new FormatException($"Oms:Webhooks:RetrySchedule: {error}");
        }

        return new RetrySchedule(delays);
    }

    private static string? Validate(IReadOnlyList<TimeSpan> delays)
    {
        if (delays.Count is 0 or > MaxDelays)
        {
            return $"give 1 to {MaxDelays} delays.";
        }

        return delays.Any(d => d <= TimeSpan.Zero || d > MaxDelay)
            ? $"every delay must be more than zero and at most {MaxDelay.TotalDays} days."
            : null;
    }

    public override string ToString() => string.Join(",", Delays.Select(d => d.ToString("c", CultureInfo.InvariantCulture)));
}
