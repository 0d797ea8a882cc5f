using Oms.Tests.Infrastructure;

namespace Oms.Tests.Faults;

/// <summary>
/// The production shape the process fault tests break: silo processes and stateless API nodes on one PostgreSQL
/// database, a warehouse seeded through the API, and storefront clients (<see cref="Load"/>) that talk to every API
/// node. Each test then adds its own fault and its own verdict.
/// </summary>
public sealed class FaultRig : IAsyncDisposable
{
    /// <summary>A client's own limit on one request: the API's 10 s budget and a margin, so a hang shows as no answer.</summary>
    public static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(15);

    private FaultRig(OmsProcesses processes, HttpClient http, Load load, string warehouse)
    {
        Processes = processes;
        Http = http;
        Load = load;
        Warehouse = warehouse;
    }

    public OmsProcesses Processes { get; }

    public HttpClient Http { get; }

    public Load Load { get; }

    public string Warehouse { get; }

    /// <summary>
    /// Starts <paramref name="silos"/> silos and <paramref name="apis"/> API nodes, waits until every API is ready, and
    /// seeds one warehouse: a hot SKU every worker fights over, and spread SKUs for holds, baskets and checkouts, few
    /// enough that they sell out during the run, so refusals are exercised as much as acknowledgements.
    /// </summary>
    public static async Task<FaultRig> StartAsync(string connectionString, int silos, int apis, int hotUnits = 40, int spreadSkus = 24, int spreadUnits = 30)
    {
        var processes = new OmsProcesses(connectionString);
        HttpClient? http = null;
        try
        {
            for (var i = 0; i < silos; i++)
            {
                processes.StartSilo();
            }

            var nodes = new List<OmsProcess>();
            for (var i = 0; i < apis; i++)
            {
                nodes.Add(await processes.StartApi());
            }

            http = new HttpClient { Timeout = ClientTimeout }.WithKey();
            var load = new Load(http, [.. nodes.Select(a => a.Url!)]);
            var warehouse = await load.Seed(hotUnits, spreadSkus, spreadUnits);
            return new FaultRig(processes, http, load, warehouse);
        }
        catch
        {
            http?.Dispose();
            await processes.DisposeAsync();
            throw;
        }
    }

    /// <summary>The load's report and every process's log tail: what a failed assertion must carry.</summary>
    public string Because(string report) => $"{report}\n{Processes.Logs()}";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Processes.DisposeAsync();
    }
}
