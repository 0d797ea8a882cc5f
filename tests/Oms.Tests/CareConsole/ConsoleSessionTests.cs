using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;
using Oms.Tests.Security;

namespace Oms.Tests.CareConsole;

/// <summary>
/// The console's session over real HTTP, without a browser: what the cookie is, what it lets a page do, and what
/// it never lets through (a change without the CSRF token, a storefront key, a revoked key, the key itself).
/// </summary>
[Collection("console")]
public sealed class ConsoleSessionTests(ConsoleFixture console)
{
    private (HttpClient Http, CookieContainer Cookies) Browserless()
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = console.BaseAddress };
        return (http, cookies);
    }

    private static async Task<HttpResponseMessage> SignIn(HttpClient http, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/care/session");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request);
    }

    private static HttpRequestMessage Json(HttpMethod method, string url, string body, string? csrf = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (csrf is not null)
        {
            request.Headers.Add("X-CSRF-Token", csrf);
        }

        return request;
    }

    private async Task<string> PlacedOrder()
    {
        var (_, sku) = await SecurityTestKit.Stocked(console.Admin, 5);
        return await SecurityTestKit.PlacedOrderId(console.Admin, "web", sku, Network.Unique("C"));
    }

    [Fact]
    public async Task A_care_key_becomes_an_HttpOnly_SameSite_Strict_cookie_that_never_holds_the_key_in_the_clear()
    {
        var key = await console.Key(new { name = "care agent", role = "care" });
        var (http, cookies) = Browserless();

        var response = await SignIn(http, key);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var setCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("oms_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", setCookie, StringComparison.OrdinalIgnoreCase);
        var secret = key[(key.LastIndexOf('_') + 1)..];
        Assert.DoesNotContain(secret, setCookie, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.NoStore, "a session answer is never cached");

        var view = JsonNode.Parse(text)!;
        Assert.True((bool)view["signedIn"]!);
        Assert.Equal("care", (string?)view["role"]);
        Assert.StartsWith("key:", (string?)view["actor"]);
        Assert.False(string.IsNullOrEmpty((string?)view["csrfToken"]));

        // The cookie alone is the credential for the API, and the actor is the key's, as for a bearer call.
        var orderId = await PlacedOrder();
        var read = await http.GetAsync($"/api/v1/orders/{orderId}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal((string?)view["actor"], (string?)(await SecurityTestKit.Json(await http.GetAsync("/care/session")))["actor"]);
    }

    [Fact]
    public async Task A_change_through_the_cookie_without_the_CSRF_token_is_refused_and_changes_nothing()
    {
        var key = await console.Key(new { name = "care agent", role = "care" });
        var (http, _) = Browserless();
        var view = await SecurityTestKit.Json(await SignIn(http, key));
        var orderId = await PlacedOrder();
        var before = (await SecurityTestKit.Json(await console.Admin.GetAsync($"/api/v1/orders/{orderId}")))["timeline"]!.AsArray().Count;

        var missing = await http.SendAsync(Json(HttpMethod.Post, $"/api/v1/orders/{orderId}/notes", """{"text":"forged"}"""));
        await SecurityTestKit.AssertProblem(missing, HttpStatusCode.Forbidden, field: "X-CSRF-Token");
        var wrong = await http.SendAsync(Json(HttpMethod.Post, $"/api/v1/orders/{orderId}/notes", """{"text":"forged"}""", csrf: "not-the-token"));
        await SecurityTestKit.AssertProblem(wrong, HttpStatusCode.Forbidden, field: "X-CSRF-Token");
        var timeline = (await SecurityTestKit.Json(await console.Admin.GetAsync($"/api/v1/orders/{orderId}")))["timeline"]!.AsArray();
        Assert.Equal(before, timeline.Count);

        var right = await http.SendAsync(Json(HttpMethod.Post, $"/api/v1/orders/{orderId}/notes", """{"text":"from the console"}""", csrf: (string)view["csrfToken"]!));
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var note = (await SecurityTestKit.Json(await console.Admin.GetAsync($"/api/v1/orders/{orderId}")))["timeline"]!.AsArray().Last()!;
        Assert.Equal((string?)view["actor"], (string?)note["actor"]);

        // Another session's token is not this one's.
        var (other, _) = Browserless();
        var otherView = await SecurityTestKit.Json(await SignIn(other, await console.Key(new { name = "second agent", role = "care" })));
        var crossed = await http.SendAsync(Json(HttpMethod.Post, $"/api/v1/orders/{orderId}/notes", """{"text":"crossed"}""", csrf: (string)otherView["csrfToken"]!));
        await SecurityTestKit.AssertProblem(crossed, HttpStatusCode.Forbidden, field: "X-CSRF-Token");
    }

    [Theory]
    [InlineData("storefront", HttpStatusCode.Forbidden)]
    [InlineData("integration", HttpStatusCode.Forbidden)]
    [InlineData("unknown", HttpStatusCode.Unauthorized)]
    [InlineData("none", HttpStatusCode.BadRequest)]
    public async Task Only_care_store_and_admin_credentials_sign_in(string who, HttpStatusCode expected)
    {
        var (http, cookies) = Browserless();
        var response = who switch
        {
            "storefront" => await SignIn(http, await console.Key(new { name = "shop", role = "storefront", channels = new[] { "web" } })),
            "integration" => await SignIn(http, await console.Key(new { name = "wms", role = "integration" })),
            "unknown" => await SignIn(http, "oms_0000000000000000_" + new string('x', 43)),
            _ => await http.PostAsync("/care/session", null),
        };

        await SecurityTestKit.AssertProblem(response, expected, field: "key");
        Assert.DoesNotContain(cookies.GetCookies(console.BaseAddress), c => c.Name == "oms_session");
    }

    [Fact]
    public async Task A_revoked_key_ends_its_sessions_and_signing_out_forgets_the_cookie()
    {
        var (key, keyId) = await SecurityTestKit.CreateKey(console.Admin, new { name = "leaving agent", role = "care" });
        var (http, cookies) = Browserless();
        Assert.Equal(HttpStatusCode.OK, (await SignIn(http, key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/orders?email=nobody@example.com")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await console.Admin.DeleteAsync($"/api/v1/api-keys/{keyId}")).StatusCode);
        await Eventually.Until(async () => (await http.GetAsync("/api/v1/orders?email=nobody@example.com")).StatusCode,
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(10), "the revocation reaches the session");
        Assert.False((bool)(await SecurityTestKit.Json(await http.GetAsync("/care/session")))["signedIn"]!);

        var (again, againCookies) = Browserless();
        var view = await SecurityTestKit.Json(await SignIn(again, await console.Key(new { name = "agent", role = "care" })));
        var signOut = new HttpRequestMessage(HttpMethod.Delete, "/care/session");
        signOut.Headers.Add("X-CSRF-Token", (string)view["csrfToken"]!);
        Assert.Equal(HttpStatusCode.NoContent, (await again.SendAsync(signOut)).StatusCode);
        Assert.DoesNotContain(againCookies.GetCookies(console.BaseAddress), c => c.Name == "oms_session");
        Assert.Equal(HttpStatusCode.Unauthorized, (await again.GetAsync("/api/v1/orders?email=nobody@example.com")).StatusCode);
    }

    [Fact]
    public async Task A_forged_cookie_is_no_session()
    {
        var (http, cookies) = Browserless();
        cookies.Add(console.BaseAddress, new Cookie("oms_session", "CfDJ8" + new string('A', 120)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/orders?email=nobody@example.com")).StatusCode);
        Assert.False((bool)(await SecurityTestKit.Json(await http.GetAsync("/care/session")))["signedIn"]!);

        // Nor is a bearer token that merely looks like one: the header always wins over the cookie.
        var key = await console.Key(new { name = "agent", role = "care" });
        Assert.Equal(HttpStatusCode.OK, (await SignIn(http, key)).StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/orders?email=nobody@example.com");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "oms_0000000000000000_" + new string('y', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task The_page_is_served_with_a_policy_that_allows_no_inline_script_and_its_library_is_the_pinned_one()
    {
        var (http, _) = Browserless();
        var redirect = await http.GetAsync("/care");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/care/", redirect.Headers.Location?.OriginalString);

        var page = await http.GetAsync("/care/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("require-trusted-types-for 'script'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.DoesNotContain("<script>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // lit-html 3.3.3 from npm, byte for byte: a changed vendored file is a supply-chain change, made on purpose.
        var library = await http.GetByteArrayAsync("/care/vendor/lit-html-3.3.3.js");
        Assert.Equal("b878e7f95dec8a9b6e9b217faca6b6a11bad82ebc44c0caa77419ed83edd81f2", Convert.ToHexStringLower(SHA256.HashData(library)));
    }
}
