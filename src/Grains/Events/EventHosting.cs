using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Oms.Grains.Events;

public static class EventHosting
{
    /// <summary>The feed in PostgreSQL when the silo has a database, else in the cluster's memory; one publisher and relay per silo.</summary>
    public static IServiceCollection AddOmsEvents(this IServiceCollection services, IConfiguration configuration, bool persistent)
    {
        services.AddOptions<EventOptions>().Bind(configuration.GetSection("Oms:Events"))
            .Validate(o => o.Retention > TimeSpan.Zero && o.MemoryCapacity > 0 && o.MaxBatchSize > 0 && o.RelayInterval > TimeSpan.Zero,
                "Oms:Events: Retention, RelayInterval, MemoryCapacity and MaxBatchSize must be positive.")
            .Validate(o => Uri.TryCreate(o.Source, UriKind.RelativeOrAbsolute, out _) && o.Source.Length > 0, "Oms:Events:Source must be a URI reference.")
            .ValidateOnStart();
        if (persistent)
        {
            services.AddSingleton<IEventStore, PostgresEventStore>();
        }
        else
        {
            services.AddSingleton<IEventStore, MemoryEventStore>();
        }

        services.AddSingleton<EventPublisher>();
        services.AddHostedService<EventRelay>();
        return services;
    }
}
