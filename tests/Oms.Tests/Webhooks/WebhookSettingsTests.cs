using Microsoft.Extensions.Options;

namespace Oms.Tests.Webhooks;

/// <summary>Bad webhook settings stop a silo at start-up, not at the first failed delivery hours later.</summary>
public sealed class WebhookSettingsTests
{
    [Theory]
    [InlineData("Oms:Webhooks:RetrySchedule", "00:00:05,soon")]
    [InlineData("Oms:Webhooks:RetrySchedule", "00:00:00")]
    [InlineData("Oms:Webhooks:MaxInFlight", "0")]
    [InlineData("Oms:Webhooks:Timeout", "00:05:00")]
    public async Task A_silo_with_bad_webhook_settings_does_not_start(string key, string value)
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => WebhookClusters.StartAsync(extra: new Dictionary<string, string?> { [key] = value }));
        var validation = failure as OptionsValidationException ?? failure.InnerException as OptionsValidationException
            ?? (failure as AggregateException)?.Flatten().InnerExceptions.OfType<OptionsValidationException>().FirstOrDefault();
        Assert.True(validation is not null, failure.ToString());
        Assert.Contains("Oms:Webhooks", validation!.Message);
    }
}
