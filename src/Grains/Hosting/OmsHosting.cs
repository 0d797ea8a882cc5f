using System.Data.Common;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Oms.Grains.ClickAndCollect;
using Oms.Grains.Diagnostics;
using Oms.Grains.Events;
using Oms.Grains.Fulfilments;
using Oms.Grains.Faults;
using Oms.Grains.Persistence;
using Oms.Grains.Recovery;
using Oms.Grains.Reservations;
using Oms.Grains.Security;
using Oms.Grains.Stock;
using Oms.Grains.Webhooks;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Serialization;

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

    /// <summary>
    /// Connections one silo (or co-hosted API) process opens at most. Every PostgreSQL user in a process (grain
    /// storage, membership, reminders, the stock ledger) opens connections with the same string, so Npgsql keeps
    /// one pool per process: three silos and two API nodes take at most 3 × 25 + 2 × 5 = 85 of PostgreSQL's
    /// default 100 (less the 3 reserved for superusers).
    /// </summary>
    public const int DefaultSiloPoolSize = 25;

    /// <summary>A stateless API node only reads the membership table, so it needs few connections.</summary>
    public const int DefaultClientPoolSize = 5;

    /// <summary>Seconds to wait for a connection or a command: a request's budget is <see cref="DefaultRequestTimeout"/>,
    /// and Npgsql's defaults (15 s and 30 s) would spend it all on one database call.</summary>
    public const int DefaultConnectTimeoutSeconds = 5;
    public const int DefaultCommandTimeoutSeconds = 8;

    /// <summary>No grain call, and so no HTTP request, waits longer than this for its answer (Orleans' default is 30 s).</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a stopping silo's gateway keeps serving requests already sent to it (<c>Orleans:GatewayDrain</c>).</summary>
    public static readonly TimeSpan DefaultGatewayDrain = TimeSpan.FromSeconds(5);

    /// <returns>The Npgsql connection string with the project's defaults for what it does not set, or null.</returns>
    public static string? ConnectionString(IConfiguration configuration, int defaultPoolSize = DefaultSiloPoolSize)
    {
        if (configuration.GetConnectionString("Oms") is not { Length: > 0 } value)
        {
            return null;
        }

        var given = new DbConnectionStringBuilder { ConnectionString = value };
        var builder = new NpgsqlConnectionStringBuilder(value);
        if (!Sets(given, "Maximum Pool Size", "Max Pool Size", "MaxPoolSize"))
        {
            builder.MaxPoolSize = defaultPoolSize;
        }

        if (!Sets(given, "Timeout", "Connect Timeout", "Connection Timeout"))
        {
            builder.Timeout = DefaultConnectTimeoutSeconds;
        }

        if (!Sets(given, "Command Timeout", "CommandTimeout"))
        {
            builder.CommandTimeout = DefaultCommandTimeoutSeconds;
        }

        // Npgsql resets a pooled connection (DISCARD ALL) each time it is taken again; measured, that was six
        // statements per order and the idle cluster's most frequent one. Nothing here leaves session state behind:
        // every lock is transaction-scoped and no setting is changed per session.
        if (!Sets(given, "No Reset On Close", "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    /// <summary>Whether the operator set the setting under any of its names; then their value stands.</summary>
    private static bool Sets(DbConnectionStringBuilder given, params string[] keys) => keys.Any(given.ContainsKey);

    /// <summary>
    /// A driver exception that escapes a grain without passing its call filter (a state read failing during
    /// activation) must still cross to the caller, or the caller sees a serializer error instead of "the database
    /// failed" and cannot tell it is retryable.
    /// </summary>
    private static void AdmitDriverExceptions(ExceptionSerializationOptions options) => options.SupportedNamespacePrefixes.Add("Npgsql");

    /// <summary>
    /// A catalogue of millions of SKU-locations is served by keeping only the hot ones active: idle items go after
    /// Orleans' collection age, and when the heap nears its budget the least recently used go first, instead of the
    /// process running out of memory in a burst that touches more items than fit. The budget is the GC's available
    /// memory, so <c>DOTNET_GCHeapHardLimit</c> (or a container limit) sets it; an item shed is read back from its
    /// ledger on its next call, as after any deactivation.
    /// </summary>
    private static void ShedUnderMemoryPressure(GrainCollectionOptions options)
    {
        options.EnableActivationSheddingOnMemoryPressure = true;
        options.MemoryUsageLimitPercentage = 85;
        options.MemoryUsageTargetPercentage = 70;

        // Orleans polls every 5 s; a burst of first reads fills several hundred megabytes in that time.
        options.MemoryUsagePollingPeriod = TimeSpan.FromSeconds(1);
    }

    /// <summary><c>Oms:RequestTimeout</c>, else <see cref="DefaultRequestTimeout"/>.</summary>
    public static TimeSpan RequestTimeout(IConfiguration configuration) =>
        configuration.GetValue<TimeSpan?>("Oms:RequestTimeout") ?? DefaultRequestTimeout;

    /// <summary>
    /// Whether grain calls carry the caller's trace: <c>Oms:Tracing</c>, else on exactly when an OTLP collector is
    /// configured. Off, no call pays for the propagation filters, and nobody would read the spans anyway.
    /// </summary>
    public static bool Tracing(IConfiguration configuration) =>
        configuration.GetValue<bool?>("Oms:Tracing") ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 };

    /// <summary>The client side of <see cref="Tracing"/>: an API node's request and the grain calls it makes share one trace.</summary>
    public static IClientBuilder AddOmsTracing(this IClientBuilder client, IConfiguration configuration) =>
        Tracing(configuration) ? client.AddActivityPropagation() : client;

    /// <summary>Storage, reminders and domain options: what every silo needs regardless of clustering.</summary>
    public static ISiloBuilder AddOmsGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.TryAddSingleton(TimeProvider.System);
        if (Tracing(configuration))
        {
            silo.AddActivityPropagation();
        }

        // The dashboard's grain service runs on every silo; an API node's dashboard asks them. Its profiler only
        // times calls while somebody is watching, so an unwatched cluster pays one filter that returns at once.
        silo.AddDashboard(OmsDashboard.Configure);
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = RequestTimeout(configuration));
        silo.Services.Configure<ExceptionSerializationOptions>(AdmitDriverExceptions);
        silo.Services.AddOptions<GrainCollectionOptions>().Configure(ShedUnderMemoryPressure).Bind(configuration.GetSection("Orleans:GrainCollection"));
        silo.AddIncomingGrainCallFilter<InfrastructureFaultFilter>();
        silo.AddOutgoingGrainCallFilter<SiloLeftRetryFilter>();
        silo.Services.AddMetrics();
        silo.Services.TryAddSingleton<Diagnostics.OmsMeters>();
        silo.AddIncomingGrainCallFilter<Diagnostics.BusinessMetricsFilter>();
        silo.UseSiloClock();
        silo.Services.AddOptions<StockOptions>().Bind(configuration.GetSection("Oms:Stock"));
        silo.Services.AddOptions<ReservationOptions>().Bind(configuration.GetSection("Oms:Reservations"));
        silo.Services.AddOptions<ClickAndCollectOptions>().Bind(configuration.GetSection("Oms:ClickAndCollect"));
        silo.Services.AddOptions<FulfilmentOptions>().Bind(configuration.GetSection("Oms:Fulfilment"));
        silo.Services.AddOptions<Returns.ReturnOptions>().Bind(configuration.GetSection("Oms:Returns"));

        silo.Services.AddHostedService<HoldExpirySweep>();
        silo.Services.AddHostedService<Orders.OrderIndexKeeper>();
        silo.AddOmsWebhooks(configuration);

        var connectionString = ConnectionString(configuration);
        silo.Services.AddOmsEvents(configuration, persistent: connectionString is not null);
        silo.Services.AddReservationDeadlines(persistent: connectionString is not null);
        silo.Services.AddGrainWatches(persistent: connectionString is not null);
        if (connectionString is null)
        {
            silo.AddMemoryGrainStorage(OmsStorage.Name, o => o.GrainStorageSerializer = new JsonGrainStateSerializer());
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton<IStockLedger, MemoryStockLedger>();
            silo.Services.AddSingleton<Orders.IOrderIndexStore, Orders.MemoryOrderIndexStore>();
        }
        else
        {
            silo.Services.AddSingleton(new OmsDatabase(connectionString));
            silo.Services.AddSingleton<IStockLedger, PostgresStockLedger>();
            silo.Services.AddSingleton<Orders.IOrderIndexStore, Orders.PostgresOrderIndexStore>();
            silo.Services.AddOmsGrainStorage(connectionString);
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
            });
        }

        return silo;
    }

    /// <summary>
    /// Whether this silo runs as a Kubernetes pod and should use Orleans' Kubernetes hosting: <c>Orleans:Kubernetes</c>
    /// when set, else whether Kubernetes injected <c>KUBERNETES_SERVICE_HOST</c> into the pod and the silo is clustered.
    /// An in-memory silo stays out of it even in a pod: with localhost clustering it has no peers to reconcile with pods.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>Orleans:Kubernetes</c> is true without <c>ConnectionStrings:Oms</c>.</exception>
    public static bool Kubernetes(IConfiguration configuration)
    {
        var clustered = configuration.GetConnectionString("Oms") is { Length: > 0 };
        if (configuration.GetValue<bool?>("Orleans:Kubernetes") is { } explicitly)
        {
            return !explicitly || clustered
                ? explicitly
                : throw new InvalidOperationException(
                    "Orleans:Kubernetes is true but ConnectionStrings:Oms is unset: silos in pods find each other through the PostgreSQL membership table.");
        }

        return clustered && configuration["KUBERNETES_SERVICE_HOST"] is { Length: > 0 };
    }

    public static ISiloBuilder UseOmsClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var orleans = configuration.GetSection("Orleans");
        var siloPort = orleans.GetValue("SiloPort", EndpointOptions.DEFAULT_SILO_PORT);
        var gatewayPort = orleans.GetValue("GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT);
        var connectionString = ConnectionString(configuration);

        // Before the in-memory return: a localhost cluster of several silos is secured the same way.
        silo.UseOmsTls(configuration);
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
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            // Orleans' defaults suit large clusters; a retailer's handful of silos must route around a dead one
            // in seconds. Probes every 2 s suspect a dead silo after ~6 s, and a silo that has not written
            // "I am alive" for 10 s stops counting as a voter, so the survivors of a double failure can still
            // declare the dead ones dead (with the defaults, one survivor of three waited minutes, and a new
            // silo could not join while the dead ones were still listed as active).
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            o.NumMissedTableIAmAliveLimit = 2;
            o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
            orleans.GetSection("Membership").Bind(o);
        });

        // A stopping silo first tells its clients to send elsewhere; Orleans' default then closes their connections at
        // once, and an answer still on its way to a client through this gateway is lost, so that request times out
        // (measured: one per rolling restart, 10 s later). Waiting lets requests already sent finish; healthy ones take
        // well under a second and slow ones under load took 3 s; the wait adds this much to every planned stop.
        silo.Configure<SiloMessagingOptions>(o => o.ClientGatewayShutdownNotificationTimeout =
            orleans.GetValue<TimeSpan?>("GatewayDrain") ?? DefaultGatewayDrain);

        // In a pod the address to advertise is the pod's own, given by the downward API as POD_IP; the first
        // non-loopback address is usually the same, but a pod with a second interface (a service mesh, Multus) may not be.
        var kubernetes = Kubernetes(configuration);
        var advertisedSetting = orleans["AdvertisedIPAddress"] is { Length: > 0 } given ? given
            : kubernetes && configuration["POD_IP"] is { Length: > 0 } podIp ? podIp
            : null;
        if (advertisedSetting is not null)
        {
            silo.ConfigureEndpoints(IPAddress.Parse(advertisedSetting), siloPort, gatewayPort);
        }
        else
        {
            silo.ConfigureEndpoints(siloPort, gatewayPort);
        }

        // The silo and gateway ports carry grain calls with no authentication of their own: by default they listen
        // only on the address the silo advertises, never on every interface. A container behind NAT, whose
        // advertised address is not its own, names its listening address (0.0.0.0 included) explicitly.
        if (orleans["ListenAddress"] is { Length: > 0 } listen)
        {
            var address = IPAddress.Parse(listen);
            silo.Configure<EndpointOptions>(o =>
            {
                o.SiloListeningEndpoint = new IPEndPoint(address, siloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(address, gatewayPort);
            });
        }
        else if (kubernetes)
        {
            // Orleans' Kubernetes hosting binds every interface when no listening endpoint is named; naming the
            // advertised one keeps a pod's ports where they are outside Kubernetes, on the pod's own address only.
            silo.Configure<EndpointOptions>(o =>
            {
                if (o.AdvertisedIPAddress is { } address)
                {
                    o.SiloListeningEndpoint = new IPEndPoint(address, siloPort);
                    o.GatewayListeningEndpoint = new IPEndPoint(address, gatewayPort);
                }
            });
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
        client.UseOmsTls(configuration);
        client.AddOmsTracing(configuration);
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = RequestTimeout(configuration));
        client.Services.Configure<ExceptionSerializationOptions>(AdmitDriverExceptions);
        client.AddOutgoingGrainCallFilter<SiloLeftRetryFilter>();
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = ClusterId(orleans);
            o.ServiceId = ServiceId(orleans);
        });

        var connectionString = ConnectionString(configuration, DefaultClientPoolSize);
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
