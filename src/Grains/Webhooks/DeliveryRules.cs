using Oms.Contracts.Webhooks;

namespace Oms.Grains.Webhooks;

/// <summary>What a receiver said to one attempt: its status (null when it never answered) and, if any, its Retry-After.</summary>
public readonly record struct SendResult(int? StatusCode, string? RetryAfter, int DurationMs, string? Error);

/// <summary>Where an attempt leaves a delivery, and whether the subscription must be disabled.</summary>
public readonly record struct DeliveryDecision(DeliveryStatus Status, int Failures, DateTimeOffset? NextAttemptAt, bool Disable);

/// <summary>The rules of one attempt's outcome, apart from any I/O, so they are table-tested.</summary>
public static class DeliveryRules
{
    public static bool IsSuccess(int? status) => status is >= 200 and < 300;

    /// <param name="failures">Failed attempts before this one, since the delivery was queued.</param>
    /// <param name="unit">A number in [0, 1) that places the schedule's jitter.</param>
    public static DeliveryDecision Decide(SendResult result, int failures, RetrySchedule schedule, DateTimeOffset now, double unit)
    {
        if (IsSuccess(result.StatusCode))
        {
            return new(DeliveryStatus.Delivered, failures, null, false);
        }

        var failed = failures + 1;
        // 410 Gone is the receiver saying "stop": the subscription is disabled, and what is owed stays pending for
        // the day someone enables it again (nothing is dropped silently).
        var disable = result.StatusCode == 410;
        var delay = schedule.After(failed, unit);
        if (delay is null)
        {
            return new(DeliveryStatus.DeadLettered, failed, null, disable);
        }

        if (result.StatusCode is 429 or 503 && RetryAfter.Parse(result.RetryAfter, now) is { } asked)
        {
            // The receiver knows when it will take traffic again; the attempt still counts towards dead-lettering.
            delay = asked;
        }

        return new(DeliveryStatus.Pending, failed, now + delay.Value, disable);
    }

    /// <summary>The error recorded for an answer that was not a success.</summary>
    public static string? Describe(int status) => status switch
    {
        >= 200 and < 300 => null,
        >= 300 and < 400 => $"answered {status}; redirects are not followed, so point the subscription at the final URL",
        410 => "answered 410 Gone; the subscription was disabled",
        _ => $"answered {status}",
    };
}
