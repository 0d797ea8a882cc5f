using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Oms.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Oms.Tests.Faults;

/// <summary>
/// The API over a two-silo cluster on real PostgreSQL while the database refuses connections or kills them. An
/// answer during a fault is a retryable 503, never a 500, never a refusal, and never an acknowledgement of what
/// is not in storage; once the database is back, the same ids complete.
/// </summary>
[Collection("postgres")]
public sealed class DatabaseOutageTests(PostgresFixture postgres) : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;
    private WebApplicationFactory<Program> _factory = null!;
    private HttpClient _http = null!;
    private DatabaseFaults _database = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_outage");
        _database = new DatabaseFaults(postgres.Server, connectionString);
        _cluster = await TestClusters.StartAsync(connectionString, Network.Unique("svc"));
        _factory = ApiFixture.AttachedTo(_cluster);
        _http = _factory.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        await _database.AllowConnections();
        _http.Dispose();
        await _factory.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_checkout_that_failed_on_the_database_is_never_replayed_as_an_order_and_its_unit_goes_to_the_next_buyer()
    {
        var (warehouse, sku) = await OneUnitInStock();

        await _database.RefuseConnections();
        var first = await Checkout(sku, "key-A");
        var retryDuringOutage = await Checkout(sku, "key-A");
        await _database.AllowConnections();

        await AssertUnavailable(first);
        await AssertUnavailable(retryDuringOutage);

        var other = await EventuallySucceeds(() => Checkout(sku, "key-B"));
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        var replay = await Checkout(sku, "key-A");

        // The unit went to B, so A's retry is a real refusal now, not a phantom "pending" order.
        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        var level = await Json(await _http.GetAsync($"/api/v1/locations/{warehouse}/stock/{sku}"));
        Assert.Equal((1, 0), ((int)level["allocated"]!, (int)level["available"]!));
        Assert.Equal(1, await _database.Scalar($"SELECT count(*) FROM oms_stock_ledger WHERE stock_key = '{sku}@{warehouse}' AND kind = 'allocated'"));
        Assert.Equal("consistent", (string?)(await Json(await _http.PostAsync($"/api/v1/locations/{warehouse}/stock/{sku}/verify", null)))["status"]);
    }

    [Fact]
    public async Task A_reservation_that_failed_on_the_database_is_not_a_refusal_and_the_same_id_holds_once_it_is_back()
    {
        var warehouse = await Warehouse();
        await PutStock(warehouse, ("A", 10), ("B", 10));
        var basket = """{"reservationId":"chk-outage","lines":[{"sku":"A","locationId":"WH","quantity":2},{"sku":"B","locationId":"WH","quantity":1}],"ttlSeconds":600}"""
            .Replace("\"WH\"", $"\"{warehouse}\"");
        var single = """{"reservationId":"chk-single","lines":[{"sku":"A","locationId":"WH","quantity":1}],"ttlSeconds":600}"""
            .Replace("\"WH\"", $"\"{warehouse}\"");

        await _database.RefuseConnections();
        var basketDuring = await Post("/api/v1/reservations", basket);
        var singleDuring = await Post("/api/v1/reservations", single);
        await _database.AllowConnections();

        await AssertUnavailable(basketDuring);
        await AssertUnavailable(singleDuring);
        var basketAfter = await EventuallySucceeds(() => Post("/api/v1/reservations", basket));
        var singleAfter = await EventuallySucceeds(() => Post("/api/v1/reservations", single));

        Assert.Equal(HttpStatusCode.Created, basketAfter.StatusCode);
        Assert.Equal(HttpStatusCode.Created, singleAfter.StatusCode);
        var a = await Json(await _http.GetAsync($"/api/v1/locations/{warehouse}/stock/A"));
        var b = await Json(await _http.GetAsync($"/api/v1/locations/{warehouse}/stock/B"));
        Assert.Equal((3, 1), ((int)a["reserved"]!, (int)b["reserved"]!));
        Assert.Equal(HttpStatusCode.OK, (await Post("/api/v1/reservations", basket)).StatusCode);
    }

    [Fact]
    public async Task Terminated_backends_give_503s_that_retry_cleanly_and_never_a_500()
    {
        var warehouse = await Warehouse();
        await PutStock(warehouse, ("T", 1000));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await Hold(warehouse, "T", $"warm-{i}")).StatusCode);
        }

        await _database.TerminateBackends();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            var response = await EventuallySucceeds(() => Hold(warehouse, "T", $"after-{i}"), statuses);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        Assert.DoesNotContain(HttpStatusCode.InternalServerError, statuses);
        var level = await Json(await _http.GetAsync($"/api/v1/locations/{warehouse}/stock/T"));
        Assert.Equal(50, (int)level["reserved"]!);
        Assert.Equal("consistent", (string?)(await Json(await _http.PostAsync($"/api/v1/locations/{warehouse}/stock/T/verify", null)))["status"]);
    }

    [Fact]
    public async Task Readiness_is_503_while_the_database_refuses_connections()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health/ready")).StatusCode);

        await _database.RefuseConnections();
        var during = await _http.GetAsync("/health/ready");
        await _database.AllowConnections();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.Equal("application/problem+json", during.Content.Headers.ContentType?.MediaType);
        Assert.Contains("database", await during.Content.ReadAsStringAsync());
        await EventuallySucceeds(() => _http.GetAsync("/health/ready"));
    }

    [Fact]
    public async Task One_pool_per_process_never_opens_more_connections_than_its_maximum()
    {
        const int poolSize = 4;
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_pool");
        var database = new DatabaseFaults(postgres.Server, connectionString);
        await using var cluster = await TestClusters.StartAsync($"{connectionString};Maximum Pool Size={poolSize};Application Name=oms-pool", Network.Unique("svc"));
        var grains = cluster.Client;
        var location = await Network.Location(grains);
        var skus = Enumerable.Range(0, 40).Select(i => $"P{i}").ToList();
        await Task.WhenAll(skus.Select(sku => Network.Stock(grains, location, sku, 100)));

        // Two silos, one process: ledger appends, grain state, reminders and membership all draw on one pool.
        var peak = 0L;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, await database.Connections("oms-pool"));
                await Task.Delay(20);
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            grains.GetGrain<Oms.Contracts.Reservations.IReservationGrain>($"pool-{i}").Create(
                new([new(skus[i % skus.Count], location, 1), new(skus[(i + 7) % skus.Count], location, 1)], 600))));
        sampling.Cancel();
        await sampler;

        Assert.InRange(peak, 1, poolSize);
    }

    private async Task<(string Warehouse, string Sku)> OneUnitInStock()
    {
        var warehouse = await Warehouse();
        var sku = Network.Unique("ONE");
        await PutStock(warehouse, (sku, 1));
        await Eventually.Until(async () => await Json(await _http.GetAsync($"/api/v1/availability/{sku}")),
            v => (int)v["available"]! == 1, TimeSpan.FromSeconds(10), "the unit shows in the network view");
        return (warehouse, sku);
    }

    private async Task<string> Warehouse()
    {
        var id = Network.Unique("WH");
        var response = await _http.PutAsJsonAsync($"/api/v1/locations/{id}", new { name = id, type = "warehouse", latitude = 49.0, longitude = 2.5, countryCode = "FR" });
        response.EnsureSuccessStatusCode();
        return id;
    }

    private async Task PutStock(string warehouse, params (string Sku, int OnHand)[] items)
    {
        var response = await _http.PutAsJsonAsync($"/api/v1/locations/{warehouse}/stock",
            new { sequence = 1, items = items.Select(i => new { sku = i.Sku, onHand = i.OnHand }) });
        response.EnsureSuccessStatusCode();
    }

    private Task<HttpResponseMessage> Checkout(string sku, string key) => Post("/api/v1/orders", $$"""
        {"channel":"web","customer":{"customerId":"C-OUT","email":"ada@example.com","name":"Ada"},
         "lines":[{"lineId":"1","sku":"{{sku}}","quantity":1,"unitPrice":10,"currency":"EUR"}],
         "delivery":{"method":"shipToHome","address":{"line1":"1 Main St","city":"Paris","postalCode":"75001","countryCode":"FR","latitude":48.86,"longitude":2.34} } }
        """, key);

    private Task<HttpResponseMessage> Hold(string warehouse, string sku, string holdId) =>
        Post($"/api/v1/locations/{warehouse}/stock/{sku}/holds", $$"""{"holdId":"{{holdId}}","quantity":1,"ttlSeconds":600}""");

    private Task<HttpResponseMessage> Post(string url, string body, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return _http.SendAsync(request);
    }

    /// <summary>Retries as a well-behaved client does on a 503: same request, after its Retry-After.</summary>
    private static async Task<HttpResponseMessage> EventuallySucceeds(Func<Task<HttpResponseMessage>> send, List<HttpStatusCode>? seen = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var response = await send();
            seen?.Add(response.StatusCode);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
                return response;
            }

            await Task.Delay(200);
        }
    }

    private static async Task AssertUnavailable(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.RetryAfter is not null, "a 503 says when to retry");
        Assert.DoesNotContain("Npgsql", await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
}
