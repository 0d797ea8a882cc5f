namespace Oms.Grains.Webhooks;

/// <summary><c>Oms:Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    /// <summary>Allows http and internal addresses (loopback, private networks) as targets: local development and tests only.</summary>
    public bool AllowInsecureTargets { get; set; }

    /// <summary>Comma-separated delays after each failed attempt; empty for Standard Webhooks' schedule (see <see cref="Webhooks.RetrySchedule"/>).</summary>
    public string? RetrySchedule { get; set; }

    /// <summary>A receiver that has not answered with a status within this has failed the attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Deliveries one subscription has on the wire at once (at most one per subject).</summary>
    public int MaxInFlight { get; set; } = 16;

    /// <summary>Open deliveries a subscription holds before it stops reading the feed until its receiver catches up:
    /// bounds memory and the table while a receiver is down; the feed keeps the rest.</summary>
    public int MaxQueued { get; set; } = 5_000;

    /// <summary>How often every silo wakes every enabled subscription, so one whose silo died resumes elsewhere.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Delivered and dead-lettered deliveries are dropped from the log after this (PostgreSQL).</summary>
    public TimeSpan DeliveryRetention { get; set; } = TimeSpan.FromDays(30);

    /// <returns>What is wrong with the settings, or null.</returns>
    public string? Validate()
    {
        try
        {
            _ = Webhooks.RetrySchedule.Parse(RetrySchedule);
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(1))
        {
            return "Oms:Webhooks:Timeout must be more than zero and at most one minute.";
        }

        if (MaxInFlight is < 1 or > 256)
        {
            return "Oms:Webhooks:MaxInFlight must be between 1 and 256.";
        }

        if (MaxQueued is < 100 or > 1_000_000)
        {
            return "Oms:Webhooks:MaxQueued must be between 100 and 1,000,000.";
        }

        if (SweepInterval < TimeSpan.FromMilliseconds(100) || SweepInterval > TimeSpan.FromMinutes(5))
        {
            return "Oms:Webhooks:SweepInterval must be between 100 ms and 5 minutes.";
        }

        return DeliveryRetention < TimeSpan.FromHours(1) ? "Oms:Webhooks:DeliveryRetention must be at least one hour." : null;
    }
}
