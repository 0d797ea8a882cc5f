using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Oms.Api.Demo;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Hosting;

/// <summary>
/// The demo's orders as care's console meets them: the real API binary started with --seed-demo, over real HTTP,
/// with the keys it printed. Ready means they are placed and searchable; on PostgreSQL a second start places none.
/// </summary>
[Collection(Oms.Tests.Faults.ProcessFaultCollection.Name)]
public sealed class DemoOrdersTests(PostgresFixture postgres)
{
    [Fact]
    public void The_demo_orders_are_a_dozen_valid_checkouts_of_every_channel_method_and_story_with_fixed_ids()
    {
        var orders = DemoOrders.All;
        Assert.InRange(orders.Count, 10, 15);
        Assert.Equal(orders.Count, orders.Select(o => o.OrderId).Distinct().Count());
        Assert.All(orders, o => Assert.StartsWith(DemoOrders.IdPrefix, o.OrderId));
        Assert.All(orders, o => Assert.Null(Oms.Api.Orders.OrderRequests.Validate(o.Request)));
        Assert.Equal(["App", "Care", "Web"], orders.Select(o => o.Request.Channel.ToString()).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(Enum.GetValues<DemoStory>(), orders.Select(o => o.Story).Distinct().Order());
        Assert.Contains(orders, o => o.Request.Delivery.PickupLocationId == DemoOrders.Boutique);
        Assert.True(orders.Count(o => o.Request.Customer.Email == DemoOrders.SearchEmail) >= 2);

        // Built again, the same bodies: what makes a second seeding a replay of each checkout.
        Assert.Equal(orders.Select(o => System.Text.Json.JsonSerializer.Serialize(o.Request)), DemoOrders.All.Select(o => System.Text.Json.JsonSerializer.Serialize(o.Request)));
    }

    [Fact]
    public async Task Ready_means_care_finds_the_demo_orders_by_email_and_each_stands_as_its_story_says()
    {
        await using var processes = new OmsProcesses(connectionString: null);
        var (care, store) = await StartDemo(processes);

        var byEmail = await Get(care, $"/api/v1/orders?email={DemoOrders.SearchEmail}");
        var ids = byEmail["items"]!.AsArray().Select(i => (string)i!["orderId"]!).ToList();
        var expected = DemoOrders.All.Where(o => o.Request.Customer.Email == DemoOrders.SearchEmail).Select(o => o.OrderId).Reverse();
        Assert.Equal(expected, ids);

        var all = (await Get(care, $"/api/v1/orders?q={DemoOrders.IdPrefix}&sort=oldest"))["items"]!.AsArray();
        Assert.Equal(DemoOrders.All.Select(o => o.OrderId), all.Select(i => (string)i!["orderId"]!));
        Assert.Equal(["app", "care", "web"], all.Select(i => (string)i!["channel"]!).Distinct().Order(StringComparer.Ordinal));

        var story = Enum.GetValues<DemoStory>().ToDictionary(s => s.ToString(), s => DemoOrders.All.First(o => o.Story == s).OrderId);
        var delivered = await Get(care, $"/api/v1/orders/{story[nameof(DemoStory.Delivered)]}");
        Assert.Equal("completed", (string?)delivered["status"]);
        Assert.Equal(1, (int)delivered["lines"]![0]!["deliveredQuantity"]!);
        var cancelled = await Get(care, $"/api/v1/orders/{story[nameof(DemoStory.CancelSecondLine)]}");
        Assert.Equal(("partiallyCancelled", "cancelled"), ((string?)cancelled["status"], (string?)cancelled["lines"]![1]!["status"]));

        var attention = (await Get(care, "/api/v1/orders?needsAttention=true&sort=oldest"))["items"]!.AsArray();
        Assert.Equal([story[nameof(DemoStory.Unfulfillable)]], attention.Select(i => (string)i!["orderId"]!));

        // The demo store key's boutique has its queue: a parcel ready to hand over, and checkouts to accept.
        var queue = (await Get(store, $"/api/v1/locations/{DemoOrders.Boutique}/fulfilments"))["items"]!.AsArray();
        Assert.Contains(queue, t => (string?)t!["orderId"] == story[nameof(DemoStory.ReadyForPickup)] && (string?)t["status"] == "readyForPickup");
        Assert.Contains(queue, t => (string?)t!["status"] == "requested");

        // The delivered order takes a return, as the console's "Authorise return" would ask.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{story[nameof(DemoStory.Delivered)]}/returns")
        {
            Content = new StringContent("""{"lines":[{"lineId":"1","quantity":1,"reason":"doesNotFit"}],"method":"shipBack","locationId":"WH-EU-PARIS"}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", "demo-test-return");
        var authorised = await care.SendAsync(request);
        Assert.True(authorised.StatusCode == HttpStatusCode.Created, await authorised.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task On_PostgreSQL_a_second_start_with_the_demo_places_no_order_and_reports_nothing_twice()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_demo_orders_again");
        var service = Network.Unique("demo");
        string first;
        await using (var processes = new OmsProcesses(connectionString, service))
        {
            var (care, _) = await StartDemo(processes);
            first = await Snapshot(care);
        }

        await using (var processes = new OmsProcesses(connectionString, service))
        {
            var (care, _) = await StartDemo(processes);
            Assert.Equal(first, await Snapshot(care));
        }
    }

    /// <summary>Each demo order's status, units and timeline entries: a second order, cancel or report would show.</summary>
    private static async Task<string> Snapshot(HttpClient care)
    {
        var lines = new List<string>();
        var page = (await Get(care, $"/api/v1/orders?q={DemoOrders.IdPrefix}&sort=oldest"))["items"]!.AsArray();
        Assert.Equal(DemoOrders.All.Count, page.Count);
        foreach (var row in page)
        {
            var order = await Get(care, $"/api/v1/orders/{(string)row!["orderId"]!}");
            lines.Add(string.Join("|", (string?)order["orderId"], (string?)order["status"], order["lines"]!.ToJsonString(),
                string.Join(",", order["timeline"]!.AsArray().Select(t => (string?)t!["type"])), order["fulfilments"]!.AsArray().Count));
        }

        return string.Join("\n", lines);
    }

    private static async Task<(HttpClient Care, HttpClient Store)> StartDemo(OmsProcesses processes)
    {
        var api = processes.StartApiProcess("--seed-demo", $"--Orleans:SiloPort={OmsProcesses.FreePort()}", $"--Orleans:GatewayPort={OmsProcesses.FreePort()}");
        using var probe = new HttpClient { BaseAddress = api.Url, Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.Until(() => TryGet(probe, "/health/ready"), r => r?.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(90), $"ready\n{processes.Logs()}");
        var printed = Regex.Matches(api.Output(), @"export (OMS_[A-Z]+_KEY)=(\S+)").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        return (new HttpClient { BaseAddress = api.Url, Timeout = TimeSpan.FromSeconds(10) }.WithKey(printed["OMS_CARE_KEY"]),
            new HttpClient { BaseAddress = api.Url, Timeout = TimeSpan.FromSeconds(10) }.WithKey(printed["OMS_STORE_KEY"]));
    }

    private static async Task<JsonNode> Get(HttpClient http, string path)
    {
        var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
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
        catch (TaskCanceledException)
        {
            return null;
        }
    }
}
