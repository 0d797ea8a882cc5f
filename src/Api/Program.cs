using Oms.Api.Returns;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Oms.Api.Availability;
using Oms.Api.CareConsole;
using Oms.Api.ClickAndCollect;
using Oms.Api.Demo;
using Oms.Api.Events;
using Oms.Api.Fulfilments;
using Oms.Api.Http;
using Oms.Api.Diagnostics;
using Oms.Api.Locations;
using Oms.Api.Orders;
using Oms.Api.Promise;
using Oms.Api.Reservations;
using Oms.Api.Security;
using Oms.Api.Sourcing;
using Oms.Api.Stock;
using Oms.Api.Webhooks;
using Oms.Grains.Diagnostics;
using Oms.Grains.Hosting;
using Orleans.Dashboard;

// A bare switch would swallow the next argument as its value in the command-line configuration provider.
var seedDemo = args.Contains("--seed-demo");
// Settings ship next to the binaries, so the process behaves the same whatever directory it is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args.Where(a => a != "--seed-demo").ToArray(),
    ContentRootPath = AppContext.BaseDirectory,
});
if (seedDemo)
{
    builder.Configuration["Oms:SeedDemo"] = "true";
}

var configuration = builder.Configuration;
var hosting = configuration["Oms:Hosting"] is { Length: > 0 } mode ? mode : "cohosted";
switch (hosting)
{
    case "cohosted":
        if (OmsHosting.ConnectionString(configuration) is { } connectionString)
        {
            // Before the silo starts: its storage, membership and reminder providers read their queries at start-up.
            await SchemaInstaller.ApplyAsync(connectionString);
        }

        builder.UseOrleans(silo => silo.UseOmsClustering(configuration).AddOmsGrains(configuration));
        break;
    case "client":
        builder.UseOrleansClient(client => client.UseOmsClustering(configuration).AddDashboard(OmsDashboard.Configure));
        break;
    case "external":
        // The embedding host registers IClusterClient itself (the tests attach the API to an in-process cluster).
        break;
    default:
        throw new InvalidOperationException($"Oms:Hosting must be 'cohosted', 'client' or 'external', not '{hosting}'.");
}

builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Limits.MaxRequestBodySize = JsonBody.MaxBytes;
    kestrel.Limits.MaxRequestLineSize = RequestTargetLimit.KestrelLimit;
});
builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
builder.Services.AddProblemDetails();
builder.Services.AddSingleton<ProfileCache>();
builder.Services.AddSingleton<PromiseCache>();
builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<AvailabilityRenderer>(sp, hosting == "cohosted"));
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddExceptionHandler<ErrorHandling>();
builder.Services.AddApiReference();
builder.Services.AddOmsSecurity(configuration);
builder.Services.AddOmsTelemetry(configuration);
builder.Services.AddWebhookApi(configuration);
builder.Services.AddCareConsole(configuration);
var health = builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);
if (configuration.GetValue<bool>("Oms:SeedDemo"))
{
    builder.Services.AddSingleton<DemoReadiness>();
    builder.Services.AddHostedService<DemoSeeder>();
    health.AddCheck<DemoReadiness>("demo", tags: ["ready"]);
}

// HTTP opens while the silo or the cluster connection is still starting: liveness answers at once, and
// readiness (and every other request) says 503 until a silo is there.
builder.Services.Configure<HostOptions>(o => o.ServicesStartConcurrently = true);

var app = builder.Build();
app.UseExceptionHandler();
app.UseProblemStatusCodePages();
app.UseRequestTargetLimit();
app.UseCareConsoleFiles();
app.UseMiddleware<StartupGate>();
app.UseCareConsoleSession();
app.UseOmsSecurity();

app.MapApiReference();
app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(Policies.Metrics);
if (hosting != "external")
{
    // An embedding host that brings its own cluster client brings the dashboard's client services too, or none.
    app.MapOmsDashboard();
}

// Open: load balancers and orchestrators probe without credentials.
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = HealthResponses.Write })
    .AllowAnonymous();
app.MapLocations();
app.MapFulfilmentQueue();
app.MapStock();
app.MapStockHolds();
app.MapAvailability();
app.MapReservations();
app.MapClickAndCollect();
app.MapOrders();
app.MapFulfilments();
app.MapReturns();
app.MapOrderSearch();
app.MapSourcing();
app.MapCarriers();
app.MapPromise();
app.MapApiKeys();
app.MapAudit();
app.MapEvents();
app.MapWebhookEndpoints();
app.MapCareConsole();
app.MapClusterPlacement();

app.Run();

/// <summary>Exposed so tests can host the real API with WebApplicationFactory.</summary>
public partial class Program;
