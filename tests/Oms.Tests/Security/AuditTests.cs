using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Security.SecurityTestKit;

namespace Oms.Tests.Security;

/// <summary>The audit trail on PostgreSQL: every state change and refused attempt, who made it, and no way to rewrite it.</summary>
[Collection("postgres")]
public sealed class AuditTests(PostgresFixture postgres)
{
    private static async Task<JsonArray> Entries(HttpClient admin, string query = "")
    {
        var response = await admin.GetAsync($"/api/v1/audit{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Json(response))["entries"]!.AsArray();
    }

    private static IEnumerable<long> Answered(JsonArray entries) =>
        entries.Where(e => (int)e!["status"]! != 503).Select(e => (long)e!["auditId"]!);

    private static async Task<int> Execute(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> Count(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM oms_audit", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_batch_sent_again_after_a_timeout_is_recorded_once()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_audit_retry");
        await using var cluster = await TestClusters.StartAsync(connectionString);
        var log = cluster.Client.GetGrain<Oms.Contracts.Security.IAuditLogGrain>(0);
        var batch = Enumerable.Range(0, 3).Select(i => new Oms.Contracts.Security.AuditEntry(0, DateTimeOffset.UtcNow, "key:0123456789abcdef", "retry",
            "storefront", "POST", "/api/v1/orders", "/api/v1/orders", new Dictionary<string, string>(), 201, $"req-{i}", "127.0.0.1", Guid.NewGuid())).ToList();

        await log.Append(batch);
        await log.Append(batch);
        await log.Append([batch[1]]);

        Assert.Equal(3, await Count(connectionString));
        Assert.Equal(["req-0", "req-1", "req-2"], (await log.Read(0, null, 10)).Entries.Select(e => e.RequestId));
    }

    [Fact]
    public async Task State_changes_and_refusals_are_audited_paged_filtered_and_cannot_be_rewritten()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_audit");
        await using var cluster = await TestClusters.StartAsync(connectionString);
        await using var api = ApiFixture.AttachedTo(cluster);
        using var admin = api.CreateAdminClient();

        // 1-3: the bootstrap admin registers a warehouse, stocks it and mints a storefront key.
        var (warehouse, sku) = await Stocked(admin, 5);
        var (key, keyId) = await Storefront(admin, "web");
        var actor = $"key:{keyId}";
        using var shop = api.As(key);

        // 4-6: the key places an order, is refused a location change, and cancels its order.
        var orderId = await PlacedOrderId(shop, "web", sku, "C-AUDIT");
        var forbiddenLocation = Network.Unique("WH");
        var refused = await shop.PutAsJsonAsync($"/api/v1/locations/{forbiddenLocation}", new { name = "X", type = "warehouse", latitude = 1.0, longitude = 2.0 });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostJson(shop, $"/api/v1/orders/{orderId}/cancel", """{"reason":"changed mind"}""")).StatusCode);

        // Reads, including POSTs that only read, leave no trace.
        Assert.Equal(HttpStatusCode.OK, (await shop.GetAsync($"/api/v1/availability/{sku}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsJsonAsync("/api/v1/availability/query", new { skus = new[] { sku } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/orders/{orderId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/locations/{warehouse}/stock/{sku}/verify", null)).StatusCode);

        // 7: an anonymous attempt, last, so once it is visible everything before it has been flushed too.
        using var anonymous = api.CreateClient();
        var unauthenticated = await anonymous.PostAsync("/api/v1/orders", new StringContent(OrderBody("web", sku, "C-AUDIT"), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);

        var flushed = await Eventually.Until(() => Entries(admin), e => e.Any(x => (string?)x!["actor"] == "anonymous"), TimeSpan.FromSeconds(10),
            "the batched writer flushes the anonymous attempt");
        // A checkout answered 503 while a fresh silo's reminder service starts is retried, and audited like any attempt.
        var all = new JsonArray([.. flushed.Where(e => (int)e!["status"]! != 503).Select(e => e!.DeepClone())]);

        Assert.Equal(
            ["PUT 201 bootstrap", "PUT 200 bootstrap", "POST 201 bootstrap", $"POST 201 {actor}", $"PUT 403 {actor}", $"POST 200 {actor}", "POST 401 anonymous"],
            all.Select(e => $"{(string)e!["method"]!} {(int)e["status"]!} {(string)e["actor"]!}"));

        var placed = all[3]!;
        Assert.Equal(("storefront", "storefront web", "/api/v1/orders"), ((string?)placed["role"], (string?)placed["actorName"], (string?)placed["path"]));
        Assert.StartsWith("/api/v1/orders", (string?)placed["route"]);
        Assert.Equal($"/api/v1/orders/{orderId}", (string?)placed["resourceIds"]!["created"]);

        var forbidden = all[4]!;
        Assert.Equal(("/api/v1/locations/{locationId}", forbiddenLocation, "storefront"),
            ((string?)forbidden["route"], (string?)forbidden["resourceIds"]!["locationId"], (string?)forbidden["role"]));

        var cancelled = all[5]!;
        Assert.Equal(("/api/v1/orders/{orderId}/cancel", orderId), ((string?)cancelled["route"], (string?)cancelled["resourceIds"]!["orderId"]));
        Assert.Equal(warehouse, (string?)all[0]!["resourceIds"]!["locationId"]);
        Assert.Equal(keyId, ((string?)all[2]!["resourceIds"]!["created"])!.Split('/').Last());

        var anon = all[6]!;
        Assert.Null((string?)anon["role"]);
        Assert.All(all, e => Assert.False(string.IsNullOrEmpty((string?)e!["requestId"])));
        Assert.DoesNotContain(all, e => e!.ToJsonString().Contains(key[^20..]));

        // Paging: after is the last id of the previous page; the pages add up to the whole log, in order.
        var ids = all.Select(e => (long)e!["auditId"]!).ToList();
        Assert.Equal(ids.Order(), ids);
        var paged = new List<long>();
        long? after = null;
        var pages = 0;
        do
        {
            var page = await Json(await admin.GetAsync($"/api/v1/audit?limit=3{(after is null ? "" : $"&after={after}")}"));
            var entries = page["entries"]!.AsArray();
            Assert.True(entries.Count <= 3);
            paged.AddRange(entries.Select(e => (long)e!["auditId"]!));
            after = (long?)page["next"];
            pages++;
        }
        while (after is not null && pages < 10);
        var everyId = flushed.Select(e => (long)e!["auditId"]!).ToList();
        Assert.Equal(everyId, paged);
        Assert.Equal((everyId.Count + 2) / 3, pages);

        Assert.Equal(ids[3..6], Answered(await Entries(admin, $"?actor={Uri.EscapeDataString(actor)}")));
        Assert.Equal([ids[6]], Answered(await Entries(admin, "?actor=anonymous")));
        Assert.Equal([ids[5]], Answered(await Entries(admin, $"?actor={Uri.EscapeDataString(actor)}&after={ids[4]}&limit=1")));
        Assert.Empty(await Entries(admin, "?actor=key:0123456789abcdef"));

        // A malformed query names what is wrong rather than reading from somewhere unintended.
        foreach (var (query, field) in new[]
        {
            ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit"), ("limit=-5", "limit"),
            ("after=-1", "after"), ("after=abc", "after"), ("after=99999999999999999999", "after"),
            ("actor=someone", "actor"), ("actor=key:XYZ", "actor"), ("actor=jwt:", "actor"),
        })
        {
            await AssertProblem(await admin.GetAsync($"/api/v1/audit?{query}"), HttpStatusCode.BadRequest, field: field);
        }

        // Only an admin reads the audit.
        await AssertProblem(await shop.GetAsync("/api/v1/audit"), HttpStatusCode.Forbidden, missing: "role");
        await AssertProblem(await anonymous.GetAsync("/api/v1/audit"), HttpStatusCode.Unauthorized);

        // The table refuses rewriting, row by row or all at once, whatever the connection's rights.
        var rows = await Count(connectionString);
        Assert.Equal(7, rows);
        var update = await Assert.ThrowsAsync<PostgresException>(() => Execute(connectionString, "UPDATE oms_audit SET actor = 'someone-else'"));
        Assert.Contains("append-only", update.MessageText);
        var delete = await Assert.ThrowsAsync<PostgresException>(() => Execute(connectionString, "DELETE FROM oms_audit"));
        Assert.Contains("append-only", delete.MessageText);
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => Execute(connectionString, "TRUNCATE oms_audit"));
        Assert.Contains("append-only", truncate.MessageText);
        Assert.Equal(rows, await Count(connectionString));
        Assert.Equal(ids, (await Entries(admin)).Select(e => (long)e!["auditId"]!));
    }
}
