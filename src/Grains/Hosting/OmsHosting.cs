using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Oms.Grains.ClickAndCollect;
using Oms.Grains.Reservations;
using Oms.Grains.Stock;
using Orleans.Configuration;

namespace Oms.Grains.Hosting;

/// <summary>
/// The one place that turns configuration into an Orleans topology, shared by the silo host, the API's
/// co-hosted silo and the test clusters, so all three run the same storage and reminder setup.
/// </summary>
/// <remarks>
/// With no <c>ConnectionStrings:Oms</c> everything is in memory on localhost (the embedded default).
/// With it, grain state and reminders live in PostgreSQL and membership too, so more silos can join.
/// </remarks>
public static class OmsHosting
{
    public const string Invariant = "Npgsql";

    /// <summary>Npgsql's default of 100 pooled connections per process exhausts PostgreSQL's default of 100
    /// server connections as soon as two silos are busy; without an explicit size each process takes this many.</summary>
    public const int DefaultMaxPoolSize = 30;

    public static string? ConnectionString(IConfiguration configuration)
    {
        if (configuration.GetConnectionString("Oms") is not { Length: > 0 } value)
        {
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder(value);
        var explicitSize = value.Contains("pool size", StringComparison.OrdinalIgnoreCase)
            || value.Contains("maxpoolsize", StringComparison.OrdinalIgnoreCase);
        if (!explicitSize)
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        return builder.ConnectionString;
    }

    /// <summary>Storage, reminders and domain options: what every silo needs regardless of clustering.</summary>
    public static ISiloBuilder AddOmsGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.AddOptions<StockOptions>().Bind(configuration.GetSection("Oms:Stock"));
        silo.Services.AddOptions<ReservationOptions>().Bind(configuration.GetSection("Oms:Reservations"));
        silo.Services.AddOptions<ClickAndCollectOptions>().Bind(configuration.GetSection("Oms:ClickAndCollect"));

        var connectionString = ConnectionString(configuration);
        if (connectionString is null)
        {
            silo.AddMemoryGrainStorage(OmsStorage.Name, o => o.GrainStorageSerializer = new JsonGrainStateSerializer());
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton<IStockLedger, MemoryStockLedger>();
        }
        else
        {
            silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
            silo.Services.AddSingleton<IStockLedger, PostgresStockLedger>();
            silo.AddAdoNetGrainStorage(OmsStorage.Name, o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
                o.GrainStorageSerializer = new JsonGrainStateSerializer();
            });
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
            });
        }

        return silo;
    }

    public static ISiloBuilder UseOmsClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var orleans = configuration.GetSection("Orleans");
        var siloPort = orleans.GetValue("SiloPort", EndpointOptions.DEFAULT_SILO_PORT);
        var gatewayPort = orleans.GetValue("GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT);
        var connectionString = ConnectionString(configuration);

        if (connectionString is null)
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ServiceId(orleans), clusterId: ClusterId(orleans));
            return silo;
        }

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = ClusterId(orleans);
            o.ServiceId = ServiceId(orleans);
        });
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });

        if (orleans["AdvertisedIPAddress"] is { Length: > 0 } advertised)
        {
            silo.ConfigureEndpoints(IPAddress.Parse(advertised), siloPort, gatewayPort, listenOnAnyHostAddress: true);
        }
        else
        {
            silo.ConfigureEndpoints(siloPort, gatewayPort, listenOnAnyHostAddress: true);
        }

        return silo;
    }

    /// <summary>
    /// How a stateless API node finds the silos: an explicit gateway list (<c>Orleans:Gateways</c>, "host:port,…"),
    /// else the PostgreSQL membership table, else a silo on localhost.
    /// </summary>
    public static IClientBuilder UseOmsClustering(this IClientBuilder client, IConfiguration configuration)
    {
        var orleans = configuration.GetSection("Orleans");
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = ClusterId(orleans);
            o.ServiceId = ServiceId(orleans);
        });

        var connectionString = ConnectionString(configuration);
        if (orleans["Gateways"] is { Length: > 0 } gateways)
        {
            var endpoints = gateways.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(ParseEndpoint)
                .ToArray();
            client.UseStaticClustering(endpoints);
        }
        else if (connectionString is not null)
        {
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
            });
        }
        else
        {
            client.UseLocalhostClustering(
                orleans.GetValue("GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT), ServiceId(orleans), ClusterId(orleans));
        }

        return client;
    }

    private static string ClusterId(IConfigurationSection orleans) => orleans["ClusterId"] is { Length: > 0 } id ? id : "oms";

    private static string ServiceId(IConfigurationSection orleans) => orleans["ServiceId"] is { Length: > 0 } id ? id : "oms";

    private static IPEndPoint ParseEndpoint(string value)
    {
        if (IPEndPoint.TryParse(value, out var endpoint) && endpoint.Port != 0)
        {
            return endpoint;
        }

        var colon = value.LastIndexOf(':');
        if (colon > 0 && int.TryParse(value[(colon + 1)..], out var port))
        {
            var address = Dns.GetHostAddresses(value[..colon]).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
            return new IPEndPoint(address, port);
        }

        throw new FormatException($"Orleans:Gateways entry '{value}' is not host:port.");
    }
}
