using System.Globalization;

namespace Oms.Grains.Webhooks;

/// <summary>A receiver's <c>Retry-After</c> (RFC 9110: delay-seconds or an HTTP date), bounded so that a hostile or
/// broken receiver can neither stall a delivery for a year nor ask to be hammered.</summary>
public static class RetryAfter
{
    public static readonly TimeSpan Min = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Max = TimeSpan.FromHours(24);

    /// <returns>The wait the receiver asked for, within [<see cref="Min"/>, <see cref="Max"/>], or null when absent or unreadable.</returns>
    public static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        TimeSpan wait;
        if (value.All(char.IsAsciiDigit))
        {
            // A huge number of seconds is a request for "much later", not a parse error.
            wait = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < Max.TotalSeconds
                ? TimeSpan.FromSeconds(seconds)
                : Max;
        }
        else if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            wait = date - now;
        }
        else
        {
            return null;
        }

        return wait < Min ? Min : wait > Max ? Max : wait;
    }
}
