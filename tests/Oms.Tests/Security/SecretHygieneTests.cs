using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Security;

/// <summary>
/// A key's whole life (creation, use, rotation with both secrets in use, revocation, listing, reading, the audit)
/// with every log line of the API captured at Trace: the only place a secret may ever appear is the one answer that
/// issues it.
/// </summary>
[Collection("api")]
public sealed class SecretHygieneTests(ApiFixture fixture)
{
    [Fact]
    public async Task No_secret_appears_in_logs_later_answers_or_the_audit()
    {
        var logs = new CapturingLogs();
        await using var api = ApiFixture.AttachedTo(fixture.Cluster).WithWebHostBuilder(web => web.ConfigureLogging(logging =>
        {
            logging.AddProvider(logs);
            logging.SetMinimumLevel(LogLevel.Trace);
            // A provider's own rule outranks the configured category levels (Microsoft.AspNetCore: Warning).
            logging.AddFilter<CapturingLogs>(null, LogLevel.Trace);
        }));
        using var admin = api.CreateAdminClient();
        var answers = new List<string>();

        async Task<(HttpStatusCode Status, string Body)> Send(HttpClient http, HttpMethod method, string url, object? body = null, bool issues = false)
        {
            using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var headers = string.Join("\n", response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(",", h.Value)}"));
            answers.Add($"{method} {url} -> {(int)response.StatusCode}{(issues ? " (issues a key)" : "")}\n{headers}\n{text}");
            return (response.StatusCode, text);
        }

        var warehouse = await Network.Warehouse(admin);

        var (created, createdBody) = await Send(admin, HttpMethod.Post, "/api/v1/api-keys", new { name = "hygiene integration", role = "integration" }, issues: true);
        Assert.True(created == HttpStatusCode.Created, createdBody);
        var issued = JsonNode.Parse(createdBody)!;
        var first = (string)issued["key"]!;
        var keyId = (string)issued["apiKey"]!["keyId"]!;
        Assert.StartsWith($"oms_{keyId}_", first);
        Assert.DoesNotContain(TestKeys.Admin, createdBody);

        using var oldKey = api.CreateClient().WithKey(first);
        Assert.Equal(HttpStatusCode.OK, (await Send(oldKey, HttpMethod.Get, "/api/v1/locations")).Status);
        // A refused write: audited under the key's actor, and a body the API must not echo a header into.
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(oldKey, HttpMethod.Put, $"/api/v1/locations/{warehouse}/stock", new { })).Status);

        var (rotated, rotatedBody) = await Send(admin, HttpMethod.Post, $"/api/v1/api-keys/{keyId}/rotate", new { graceSeconds = 300 }, issues: true);
        Assert.True(rotated == HttpStatusCode.OK, rotatedBody);
        var second = (string)JsonNode.Parse(rotatedBody)!["key"]!;
        Assert.NotEqual(first, second);
        Assert.StartsWith($"oms_{keyId}_", second);
        Assert.DoesNotContain(first, rotatedBody);
        Assert.DoesNotContain(Secret(first, keyId), rotatedBody);
        Assert.DoesNotContain(TestKeys.Admin, rotatedBody);

        using var newKey = api.CreateClient().WithKey(second);
        foreach (var client in new[] { oldKey, newKey })
        {
            Assert.Equal(HttpStatusCode.OK, (await Send(client, HttpMethod.Get, $"/api/v1/locations/{warehouse}")).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await Send(client, HttpMethod.Put, $"/api/v1/locations/{warehouse}/stock", new { })).Status);
        }

        var (revoked, revokedBody) = await Send(admin, HttpMethod.Delete, $"/api/v1/api-keys/{keyId}");
        Assert.True(revoked == HttpStatusCode.OK, revokedBody);
        Assert.Equal("revoked", (string?)JsonNode.Parse(revokedBody)!["status"]);
        foreach (var client in new[] { oldKey, newKey })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, HttpMethod.Get, "/api/v1/locations")).Status);
        }

        var (listed, listBody) = await Send(admin, HttpMethod.Get, "/api/v1/api-keys");
        Assert.Equal(HttpStatusCode.OK, listed);
        var keys = JsonNode.Parse(listBody)!["apiKeys"]!.AsArray();
        Assert.Contains(keys, k => (string?)k!["keyId"] == keyId);
        Assert.All(keys, k => Assert.False(k!.AsObject().ContainsKey("key"), $"a listed key carries its secret: {k.ToJsonString()}"));
        var (read, readBody) = await Send(admin, HttpMethod.Get, $"/api/v1/api-keys/{keyId}");
        Assert.Equal(HttpStatusCode.OK, read);
        Assert.False(JsonNode.Parse(readBody)!.AsObject().ContainsKey("key"), readBody);

        // The audit is written off the request path, in batches: wait for this key's three refused writes.
        var actor = $"key:{keyId}";
        var page = await Eventually.Until(
            async () => await admin.GetStringAsync($"/api/v1/audit?actor={Uri.EscapeDataString(actor)}&limit=1000"),
            text => JsonNode.Parse(text)!["entries"]!.AsArray().Count >= 3,
            TimeSpan.FromSeconds(10), $"the audit records {actor}'s writes");
        Assert.All(JsonNode.Parse(page)!["entries"]!.AsArray(), e => Assert.Equal(actor, (string?)e!["actor"]));
        var (_, keyAudit) = await Send(admin, HttpMethod.Get, $"/api/v1/audit?actor={Uri.EscapeDataString(actor)}&limit=1000");
        // Other tests of the collection wrote thousands of bootstrap entries before: read from this key's first one on.
        var since = JsonNode.Parse(keyAudit)!["entries"]!.AsArray().Min(e => (long)e!["auditId"]!) - 1;
        var (_, bootstrapAudit) = await Send(admin, HttpMethod.Get, $"/api/v1/audit?actor=bootstrap&after={since}&limit=1000");
        Assert.Contains($"/api/v1/api-keys/{keyId}/rotate", bootstrapAudit);

        var secrets = new Dictionary<string, string>
        {
            ["the first key"] = first,
            ["the first key's secret"] = Secret(first, keyId),
            ["the rotated key"] = second,
            ["the rotated key's secret"] = Secret(second, keyId),
            ["the bootstrap key"] = TestKeys.Admin,
        };
        var lines = logs.Lines.ToList();
        Assert.True(lines.Any(l => l.Contains("/api/v1/api-keys", StringComparison.Ordinal)), $"the capture saw no request ({lines.Count} lines): it is not wired");
        var leaks = new List<string>();
        foreach (var (what, secret) in secrets)
        {
            leaks.AddRange(lines.Where(l => l.Contains(secret, StringComparison.Ordinal)).Select(l => $"{what} in a log line: {l}"));
            leaks.AddRange(answers.Where(a => !a.Contains("(issues a key)", StringComparison.Ordinal) && a.Contains(secret, StringComparison.Ordinal))
                .Select(a => $"{what} in an answer: {a}"));
            foreach (var audit in new[] { page, keyAudit, bootstrapAudit })
            {
                if (audit.Contains(secret, StringComparison.Ordinal))
                {
                    leaks.Add($"{what} in the audit: {audit}");
                }
            }
        }

        Assert.True(leaks.Count == 0, string.Join("\n\n", leaks));
    }

    private static string Secret(string key, string keyId) => key[$"oms_{keyId}_".Length..];
}
