using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Oms.Grains.Hosting;
using Oms.Grains.Persistence;

namespace Oms.Grains.Webhooks;

public static class WebhookHosting
{
    public const string Section = "Oms:Webhooks";

    /// <summary>The webhook store (PostgreSQL when configured), the sender, the schedule and the sweep. Bad settings
    /// stop the silo at start-up rather than at the first failed delivery.</summary>
    public static ISiloBuilder AddOmsWebhooks(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddOptions<WebhookOptions>()
            .Bind(configuration.GetSection(Section))
            .Validate(o =>
            {
                if (o.Validate() is { } error)
                {
                    throw new OptionsValidationException(Section, typeof(WebhookOptions), [error]);
                }

                return true;
            })
            .ValidateOnStart();
        silo.Services.AddSingleton(sp => RetrySchedule.Parse(sp.GetRequiredService<IOptions<WebhookOptions>>().Value.RetrySchedule));
        silo.Services.AddSingleton<WebhookSender>();
        silo.Services.AddHostedService<WebhookSweep>();
        if (OmsHosting.ConnectionString(configuration) is null)
        {
            silo.Services.AddSingleton<IWebhookStore, MemoryWebhookStore>();
        }
        else
        {
            silo.Services.AddSingleton<IWebhookStore>(sp => new PostgresWebhookStore(sp.GetRequiredService<OmsDatabase>()));
        }

        return silo;
    }
}
