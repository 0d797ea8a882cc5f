using System.Net;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Hosting;

/// <summary>What an operator's probes see while a process starts: the real API binary, over real HTTP.</summary>
[Collection(Oms.Tests.Faults.ProcessFaultCollection.Name)]
public sealed class StartupTests
{
    [Fact]
    public async Task An_API_node_with_no_silo_answers_liveness_at_once_and_readiness_with_a_503_problem()
    {
        await using var processes = new OmsProcesses(connectionString: null);
        var api = processes.StartApiProcess("--Oms:Hosting=client", $"--Orleans:Gateways=127.0.0.1:{OmsProcesses.FreePort()}");
        using var http = new HttpClient { BaseAddress = api.Url, Timeout = TimeSpan.FromSeconds(10) }.WithKey();

        var live = await Eventually.Until(() => TryGet(http, "/health/live"), r => r is not null, TimeSpan.FromSeconds(30), $"HTTP opens\n{processes.Logs()}");
        var ready = await http.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live!.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("application/problem+json", ready.Content.Headers.ContentType?.MediaType);
        Assert.Contains("No silo answered", (string?)JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["detail"]);
        var request = await http.GetAsync("/api/v1/availability/BAG-001");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, request.StatusCode);
    }

    [Fact]
    public async Task With_the_demo_network_ready_means_the_storefront_already_sees_stock_with_the_key_the_demo_printed()
    {
        await using var processes = new OmsProcesses(connectionString: null);
        var api = processes.StartApiProcess("--seed-demo", $"--Orleans:SiloPort={OmsProcesses.FreePort()}", $"--Orleans:GatewayPort={OmsProcesses.FreePort()}");
        using var http = new HttpClient { BaseAddress = api.Url, Timeout = TimeSpan.FromSeconds(10) };

        await Eventually.Until(() => TryGet(http, "/health/ready"), r => r?.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60), $"ready\n{processes.Logs()}");
        var printed = System.Text.RegularExpressions.Regex.Matches(api.Output(), @"export (OMS_[A-Z]+_KEY)=(\S+)")
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(["OMS_ADMIN_KEY", "OMS_CARE_KEY", "OMS_INTEGRATION_KEY", "OMS_STOREFRONT_KEY", "OMS_STORE_KEY"], printed.Keys.Order(StringComparer.Ordinal));

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/availability/BAG-001")).StatusCode);
        http.WithKey(printed["OMS_STOREFRONT_KEY"]);
        var availability = JsonNode.Parse(await http.GetStringAsync("/api/v1/availability/BAG-001"))!;
        Assert.True((int)availability["available"]! > 0, $"ready, but the demo's stock is not visible yet: {availability}");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/api/v1/locations")).StatusCode);

        // The Orleans Dashboard, for admins only; it shows the demo's orders among the grains, and never grain state.
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/dashboard/")).StatusCode);
        using var admin = new HttpClient { BaseAddress = api.Url, Timeout = TimeSpan.FromSeconds(10) }.WithKey(printed["OMS_ADMIN_KEY"]);
        var page = await admin.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("text/html", page.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var counters = await Eventually.Until(async () => await (await admin.GetAsync("/dashboard/DashboardCounters")).Content.ReadAsStringAsync(),
            text => text.Contains("OrderGrain", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the dashboard counts the demo's order grains");
        Assert.Contains("StockItemGrain", counters, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/dashboard/GrainState?grainId=x&grainType=y")).StatusCode);
    }

    private static async Task<HttpResponseMessage?> TryGet(HttpClient http, string path)
    {
        try
        {
            return await http.GetAsync(path);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
