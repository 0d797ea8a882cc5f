using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Security.SecurityTestKit;

namespace Oms.Tests.Security;

/// <summary>Per-credential rate limits, and CORS only for the origins an operator names.</summary>
[Collection("api")]
public sealed class AbuseLimitTests(ApiFixture fixture)
{
    private WebApplicationFactory<Program> Api(params (string Key, string Value)[] settings) =>
        ApiFixture.AttachedTo(fixture.Cluster).WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });

    [Fact]
    public async Task A_storefront_key_past_its_burst_gets_429_with_Retry_After_and_another_key_is_unaffected()
    {
        await using var api = Api(("Oms:Security:RateLimits:storefront:PermitsPerSecond", "1"), ("Oms:Security:RateLimits:storefront:Burst", "3"));
        using var admin = api.CreateAdminClient();
        var (busyKey, _) = await Storefront(admin, "web");
        var (quietKey, _) = await Storefront(admin, "web");
        using var busy = api.As(busyKey);
        using var quiet = api.As(quietKey);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await busy.GetAsync("/api/v1/availability/ANY-SKU"));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], answers.Take(3).Select(r => r.StatusCode));
        var refused = answers[3];
        await AssertProblem(refused, HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"Retry-After: {refused.Headers.RetryAfter}");

        // The bucket is the credential's, not the role's: another storefront key, and the admin, still get through.
        Assert.Equal(HttpStatusCode.OK, (await quiet.GetAsync("/api/v1/availability/ANY-SKU")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/availability/ANY-SKU")).StatusCode);

        // Health probes are never throttled, and the spent key recovers as the bucket refills.
        Assert.NotEqual(HttpStatusCode.TooManyRequests, (await busy.GetAsync("/health/live")).StatusCode);
        await Eventually.Until(async () => (await busy.GetAsync("/api/v1/availability/ANY-SKU")).StatusCode, s => s == HttpStatusCode.OK,
            TimeSpan.FromSeconds(3), "the bucket refills at one permit a second");
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/availability/ANY-SKU");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "authorization");
        return request;
    }

    [Fact]
    public async Task A_preflight_is_allowed_only_from_a_configured_origin()
    {
        await using var configured = Api(("Oms:Security:Cors:AllowedOrigins:0", "https://shop.example"));
        using var client = configured.CreateClient();

        var allowed = await client.SendAsync(Preflight("https://shop.example"));
        Assert.True(allowed.IsSuccessStatusCode, $"preflight answered {(int)allowed.StatusCode}");
        Assert.Equal(["https://shop.example"], allowed.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Contains("GET", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Methods")));

        var other = await client.SendAsync(Preflight("https://evil.example"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));

        // A real cross-origin call from the allowed origin carries the header too; from another it does not.
        var get = new HttpRequestMessage(HttpMethod.Get, "/api/v1/availability/ANY-SKU");
        get.Headers.Add("Origin", "https://shop.example");
        var response = await client.WithKey().SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["https://shop.example"], response.Headers.GetValues("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Without_configured_origins_no_preflight_is_allowed()
    {
        await using var api = Api();
        using var client = api.CreateClient();

        foreach (var origin in new[] { "https://shop.example", "http://localhost" })
        {
            var response = await client.SendAsync(Preflight(origin));
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"), $"{origin} was allowed");
        }
    }
}
