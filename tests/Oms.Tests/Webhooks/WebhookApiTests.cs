using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;
using Oms.Tests.Security;

namespace Oms.Tests.Webhooks;

/// <summary>Subscriptions over HTTP: the secret shown once, bounds and bad input naming the field, unknown ids, roles.</summary>
[Collection("webhooks")]
public sealed class WebhookApiTests(WebhookFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task A_subscription_is_created_read_changed_rotated_and_deleted_and_its_secret_is_shown_only_twice()
    {
        using var created = await Http.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/oms", events = new[] { "order.*", "stock.low" }, description = "ERP" });
        var json = await WebhookApi.Json(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, json.ToJsonString());
        var id = (string)json["webhookId"]!;
        var secret = (string)json["secret"]!;
        Assert.Equal($"/api/v1/webhooks/{id}", created.Headers.Location?.ToString());
        Assert.Equal("enabled", (string?)json["status"]);
        Assert.Equal("https://hooks.example.com/oms", (string?)json["url"]);
        Assert.Equal(["order.*", "stock.low"], json["events"]!.AsArray().Select(e => (string)e!));
        Assert.Equal("ERP", (string?)json["description"]);
        Assert.NotNull(json["createdAt"]);
        Assert.Matches("^whsec_[A-Za-z0-9+/]{43}=$", secret);

        var read = await Http.GetStringAsync($"/api/v1/webhooks/{id}");
        Assert.DoesNotContain(secret["whsec_".Length..], read);
        Assert.DoesNotContain("secret\"", read);
        var list = await Http.GetStringAsync("/api/v1/webhooks");
        Assert.Contains(id, list);
        Assert.DoesNotContain(secret["whsec_".Length..], list);

        using var patched = await Http.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { events = new[] { "*" }, status = "disabled" });
        var view = await WebhookApi.Json(patched);
        Assert.True(patched.StatusCode == HttpStatusCode.OK, view.ToJsonString());
        Assert.Equal("disabled", (string?)view["status"]);
        Assert.Equal(["*"], view["events"]!.AsArray().Select(e => (string)e!));
        Assert.Equal("https://hooks.example.com/oms", (string?)view["url"]);

        using var rotated = await Http.PostAsJsonAsync($"/api/v1/webhooks/{id}/rotate-secret", new { graceSeconds = 3600 });
        var issued = await WebhookApi.Json(rotated);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var second = (string)issued["secret"]!;
        Assert.StartsWith("whsec_", second);
        Assert.NotEqual(secret, second);
        Assert.NotNull(issued["previousSecretValidUntil"]);
        // Without a body: the default grace of a day.
        using var bare = await Http.PostAsync($"/api/v1/webhooks/{id}/rotate-secret", null);
        Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        var readAgain = await Http.GetStringAsync($"/api/v1/webhooks/{id}");
        Assert.DoesNotContain(second["whsec_".Length..], readAgain);

        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/v1/webhooks/{id}")).StatusCode);
        Assert.DoesNotContain(id, await Http.GetStringAsync("/api/v1/webhooks"));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode);
    }

    public static TheoryData<string, string> BadCreations => new()
    {
        { """{"events":["*"]}""", "url" },
        { """{"url":"https://hooks.example.com"}""", "events" },
        { """{"url":"https://hooks.example.com","events":[]}""", "events" },
        { """{"url":"not a url","events":["*"]}""", "url" },
        { """{"url":"ftp://hooks.example.com","events":["*"]}""", "url" },
        { "{\"url\":\"https://hooks.example.com/" + new string('a', 2100) + "\",\"events\":[\"*\"]}", "url" },
        { """{"url":"https://hooks.example.com","events":["order.shipped"]}""", "events[0]" },
        { """{"url":"https://hooks.example.com","events":["order.*","nope.*"]}""", "events[1]" },
        { "{\"url\":\"https://hooks.example.com\",\"events\":[" + string.Join(",", Enumerable.Repeat("\"*\"", 51)) + "]}", "events" },
        { """{"url":"https://hooks.example.com","events":[null]}""", "events[0]" },
        { "{\"url\":\"https://hooks.example.com\",\"events\":[\"*\"],\"description\":\"" + new string('d', 501) + "\"}", "description" },
        { """{"url":"https://hooks.example.com","events":["*"],"description":"a\u0000b"}""", "description" },
        { """{"url":42,"events":["*"]}""", "url" },
        { """{"url":"https://hooks.example.com","url":"https://other.example.com","events":["*"]}""", "url" },
    };

    [Theory]
    [MemberData(nameof(BadCreations))]
    public async Task A_bad_subscription_is_a_400_naming_the_field_and_creates_nothing(string body, string field)
    {
        var before = (await WebhookApi.Json(await Http.GetAsync("/api/v1/webhooks")))["webhooks"]!.AsArray().Count;
        using var response = await Http.PostAsync("/api/v1/webhooks", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await WebhookApi.Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {problem}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem["errors"]?[field] is not null, problem.ToJsonString());
        Assert.Equal(before, (await WebhookApi.Json(await Http.GetAsync("/api/v1/webhooks")))["webhooks"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("""{}""", "body")]
    [InlineData("""{"status":"paused"}""", "status")]
    [InlineData("""{"url":"http://[::1"}""", "url")]
    [InlineData("""{"events":["stock.*","x"]}""", "events[1]")]
    [InlineData("""{"events":[]}""", "events")]
    public async Task A_bad_change_is_a_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var (id, _) = await WebhookApi.Subscribe(Http, "https://hooks.example.com/keep", "reservation.expired");
        var before = await Http.GetStringAsync($"/api/v1/webhooks/{id}");
        using var response = await Http.PatchAsync($"/api/v1/webhooks/{id}", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await WebhookApi.Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {problem}");
        Assert.True(problem["errors"]?[field] is not null, problem.ToJsonString());
        Assert.Equal(before, await Http.GetStringAsync($"/api/v1/webhooks/{id}"));
    }

    [Theory]
    [InlineData("rotate-secret", """{"graceSeconds":-1}""", "graceSeconds")]
    [InlineData("rotate-secret", """{"graceSeconds":604801}""", "graceSeconds")]
    [InlineData("rotate-secret", """{"graceSeconds":"soon"}""", "graceSeconds")]
    [InlineData("replay", """{"fromPosition":-1}""", "fromPosition")]
    [InlineData("replay", """{}""", "fromPosition")]
    public async Task Bad_rotations_and_replays_are_400s_naming_the_field(string action, string body, string field)
    {
        var (id, _) = await WebhookApi.Subscribe(Http, "https://hooks.example.com/keep", "reservation.expired");
        using var response = await Http.PostAsync($"/api/v1/webhooks/{id}/{action}", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await WebhookApi.Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {problem}");
        Assert.True(problem["errors"]?[field] is not null, problem.ToJsonString());
    }

    [Theory]
    [InlineData("status=sent", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("cursor=abc", "cursor")]
    [InlineData("cursor=-3", "cursor")]
    public async Task A_bad_delivery_query_is_a_400_naming_the_parameter(string query, string field)
    {
        var (id, _) = await WebhookApi.Subscribe(Http, "https://hooks.example.com/keep", "reservation.expired");
        using var response = await Http.GetAsync($"/api/v1/webhooks/{id}/deliveries?{query}");
        var problem = await WebhookApi.Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {problem}");
        Assert.True(problem["errors"]?[field] is not null, problem.ToJsonString());
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("PATCH", "")]
    [InlineData("DELETE", "")]
    [InlineData("POST", "/rotate-secret")]
    [InlineData("GET", "/deliveries")]
    [InlineData("POST", "/deliveries/1/retry")]
    [InlineData("POST", "/replay")]
    public async Task An_unknown_subscription_is_a_404_naming_webhookId(string method, string suffix)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/api/v1/webhooks/wh_0000000000000000{suffix}");
        if (method is "POST" or "PATCH")
        {
            request.Content = new StringContent(method == "PATCH" ? """{"status":"enabled"}""" : """{"fromPosition":0}""", Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request);
        var problem = await WebhookApi.Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{(int)response.StatusCode} {problem}");
        Assert.True(problem["errors"]?["webhookId"] is not null, problem.ToJsonString());
    }

    [Fact]
    public async Task An_unknown_delivery_is_a_404_naming_deliveryId()
    {
        var (id, _) = await WebhookApi.Subscribe(Http, "https://hooks.example.com/keep", "reservation.expired");
        using var response = await Http.PostAsync($"/api/v1/webhooks/{id}/deliveries/999999/retry", null);
        var problem = await WebhookApi.Json(response);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True(problem["errors"]?["deliveryId"] is not null, problem.ToJsonString());
    }

    [Theory]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://127.1.2.3:8443/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("https://172.20.0.1/hook")]
    [InlineData("https://192.168.0.10/hook")]
    [InlineData("https://100.64.1.1/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://[fd00::1]/hook")]
    [InlineData("https://[fe80::1]/hook")]
    [InlineData("https://[::ffff:127.0.0.1]/hook")]
    [InlineData("https://0.0.0.0/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://metadata.google.internal/computeMetadata/v1/")]
    [InlineData("http://hooks.example.com/plain-http")]
    public async Task By_default_internal_and_plain_http_targets_are_refused_at_creation_and_change(string url)
    {
        await using var strict = WebhookClusters.Api(fixture.Cluster, allowInsecure: false);
        using var http = strict.CreateAdminClient();
        var before = (await WebhookApi.Json(await http.GetAsync("/api/v1/webhooks")))["webhooks"]!.AsArray().Count;
        using var response = await http.PostAsJsonAsync("/api/v1/webhooks", new { url, events = new[] { "*" } });
        var problem = await WebhookApi.Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{url}: {(int)response.StatusCode} {problem}");
        Assert.True(problem["errors"]?["url"] is not null, problem.ToJsonString());
        Assert.Equal(before, (await WebhookApi.Json(await http.GetAsync("/api/v1/webhooks")))["webhooks"]!.AsArray().Count);

        var (id, _) = await WebhookApi.Subscribe(Http, "https://hooks.example.com/keep", "reservation.expired");
        using var patch = await http.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { url });
        Assert.Equal(HttpStatusCode.BadRequest, patch.StatusCode);
        Assert.Equal("https://hooks.example.com/keep", (string?)(await WebhookApi.Json(await Http.GetAsync($"/api/v1/webhooks/{id}")))["url"]);
    }

    [Theory]
    [InlineData("integration", HttpStatusCode.Created)]
    [InlineData("admin", HttpStatusCode.Created)]
    [InlineData("care", HttpStatusCode.Forbidden)]
    [InlineData("store", HttpStatusCode.Forbidden)]
    [InlineData("storefront", HttpStatusCode.Forbidden)]
    public async Task Only_integration_and_admin_keys_manage_webhooks(string role, HttpStatusCode expected)
    {
        object body = role switch
        {
            "storefront" => new { name = "wh storefront", role, channels = new[] { "web" } },
            "store" => new { name = "wh store", role, locationIds = new[] { "BQ-ANY" } },
            _ => new { name = $"wh {role}", role },
        };
        var (key, _) = await SecurityTestKit.CreateKey(Http, body);
        using var http = fixture.Api.CreateClient().WithKey(key);
        using var response = await http.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/r", events = new[] { "reservation.expired" } });
        Assert.Equal(expected, response.StatusCode);
        using var anonymous = fixture.Api.CreateClient().WithKey(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/webhooks")).StatusCode);
    }
}
