using Oms.Grains.Hosting;
using Oms.Grains.Diagnostics;
using Orleans.Hosting;

// A silo without HTTP: the production shape runs several of these behind stateless API nodes.
var applySchemaOnly = args.Contains("--apply-schema");
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args.Where(a => a != "--apply-schema").ToArray(),
    ContentRootPath = AppContext.BaseDirectory,
});
var configuration = builder.Configuration;
var connectionString = OmsHosting.ConnectionString(configuration);

if (applySchemaOnly)
{
    if (connectionString is null)
    {
        Console.Error.WriteLine("--apply-schema needs ConnectionStrings__Oms set to a PostgreSQL connection string.");
        return 2;
    }

    await SchemaInstaller.ApplyAsync(connectionString);
    Console.WriteLine($"Applied {string.Join(", ", SchemaInstaller.ScriptNames())}.");
    return 0;
}

if (connectionString is not null)
{
    await SchemaInstaller.ApplyAsync(connectionString);
}

builder.UseOrleans(silo =>
{
    silo.UseOmsClustering(configuration).AddOmsGrains(configuration);
    if (OmsHosting.Kubernetes(configuration))
    {
        // Labels the pod with its cluster and service ids, and declares a silo dead as soon as its pod is deleted
        // instead of waiting for missed probes; a silo the cluster declared dead has its pod deleted, so it is replaced.
        silo.UseKubernetesHosting(o => o.Configure(k => k.DeleteDefunctSiloPods = true));
    }
});
if (OmsTelemetry.Otlp(configuration))
{
    // A silo has no HTTP to be scraped on: its meters, spans and logs are pushed to the collector instead.
    builder.Services.AddOmsOpenTelemetry(configuration);
}

await builder.Build().RunAsync();
return 0;
