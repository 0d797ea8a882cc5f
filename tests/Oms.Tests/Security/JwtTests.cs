using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Security.SecurityTestKit;

namespace Oms.Tests.Security;

/// <summary>Tokens of the retailer's identity provider stand beside API keys, with the same roles and scopes.</summary>
[Collection("api")]
public sealed class JwtTests(ApiFixture fixture)
{
    private const string SigningKey = "jwt-tests-signing-key-0123456789abcdef0123456789";
    private const string Issuer = "https://idp.example";
    private const string Audience = "oms-api";

    private WebApplicationFactory<Program> Api() => ApiFixture.AttachedTo(fixture.Cluster).WithWebHostBuilder(web =>
    {
        web.UseSetting("Oms:Security:Jwt:SigningKey", SigningKey);
        web.UseSetting("Oms:Security:Jwt:Issuer", Issuer);
        web.UseSetting("Oms:Security:Jwt:Audience", Audience);
    });

    private static string Token(
        IDictionary<string, object> claims,
        string signingKey = SigningKey,
        string issuer = Issuer,
        string audience = Audience,
        DateTime? expires = null)
    {
        var notBefore = (expires ?? DateTime.UtcNow.AddMinutes(10)).AddMinutes(-20);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = notBefore,
            NotBefore = notBefore,
            Expires = expires ?? DateTime.UtcNow.AddMinutes(10),
            Claims = claims,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    private static Dictionary<string, object> Storefront(string subject = "shop-backend") => new()
    {
        ["sub"] = subject,
        ["name"] = "Web shop back end",
        ["oms_role"] = "storefront",
        ["oms_channels"] = "web",
    };

    private static HttpClient Bearer(WebApplicationFactory<Program> api, string token)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Theory]
    [InlineData("Oms:Security:Jwt:Authority", "https://login.example", "Audience")]
    [InlineData("Oms:Security:Jwt:SigningKey", "too-short", "SigningKey")]
    public async Task A_misconfigured_identity_provider_stops_the_process_instead_of_accepting_any_token(string setting, string value, string named)
    {
        await using var api = ApiFixture.AttachedTo(fixture.Cluster).WithWebHostBuilder(web => web.UseSetting(setting, value));

        var refused = Assert.ThrowsAny<Exception>(() => api.CreateClient());
        Assert.Contains(named, refused.ToString());
    }

    [Fact]
    public async Task A_storefront_token_reads_availability_places_web_orders_as_its_subject_and_nothing_more()
    {
        await using var api = Api();
        using var admin = api.CreateAdminClient();
        var (_, sku) = await Stocked(admin, 5);
        var subject = Network.Unique("shop");
        using var shop = Bearer(api, Token(Storefront(subject)));

        Assert.Equal(HttpStatusCode.OK, (await shop.GetAsync($"/api/v1/availability/{sku}")).StatusCode);
        await AssertProblem(await shop.GetAsync("/api/v1/locations"), HttpStatusCode.Forbidden, missing: "role");
        await AssertProblem(await PlaceOrder(shop, "app", sku, "C-JWT"), HttpStatusCode.Forbidden, missing: "channel");

        var placed = await PlaceOrder(shop, "web", sku, "C-JWT");
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var order = await Json(placed);
        Assert.All(order["timeline"]!.AsArray(), e => Assert.Equal(($"jwt:{subject}", "Web shop back end"), ((string?)e!["actor"], (string?)e["actorName"])));
        Assert.Equal(HttpStatusCode.OK, (await shop.GetAsync($"/api/v1/orders/{(string)order["orderId"]!}")).StatusCode);

        // API keys keep working beside the identity provider.
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/locations")).StatusCode);
    }

    public static TheoryData<string> Refused => new() { "bad signature", "expired", "wrong issuer", "wrong audience", "no role", "unknown role", "unknown channel", "no subject" };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_token_that_is_not_valid_or_names_no_valid_role_is_a_401(string why)
    {
        await using var api = Api();
        var claims = Storefront();
        var token = why switch
        {
            "bad signature" => Token(claims, signingKey: "another-signing-key-of-at-least-32-bytes!!"),
            "expired" => Token(claims, expires: DateTime.UtcNow.AddMinutes(-5)),
            "wrong issuer" => Token(claims, issuer: "https://elsewhere.example"),
            "wrong audience" => Token(claims, audience: "another-api"),
            "no role" => Token(Without(claims, "oms_role")),
            "unknown role" => Token(With(claims, "oms_role", "superuser")),
            "unknown channel" => Token(With(claims, "oms_channels", "web moon")),
            _ => Token(Without(claims, "sub")),
        };
        using var client = Bearer(api, token);

        var response = await client.GetAsync("/api/v1/availability/ANY-SKU");

        await AssertProblem(response, HttpStatusCode.Unauthorized, missing: "credential");
    }

    [Fact]
    public async Task An_agents_token_from_the_identity_provider_signs_in_to_the_console_and_the_session_carries_it()
    {
        await using var api = Api();
        // The factory's client keeps cookies, as the browser does; it sends the token once, to sign in.
        var browser = api.CreateClient();
        var signIn = new HttpRequestMessage(HttpMethod.Post, "/care/session");
        signIn.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(new Dictionary<string, object> { ["sub"] = "agent-7", ["name"] = "Marie", ["oms_role"] = "care" }));
        var view = await Json(await browser.SendAsync(signIn));
        Assert.Equal((true, "jwt:agent-7", "care", true), ((bool)view["signedIn"]!, (string?)view["actor"], (string?)view["role"], (bool)view["identityProvider"]!));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/orders?email=nobody@example.com")).StatusCode);

        var shop = new HttpRequestMessage(HttpMethod.Post, "/care/session");
        shop.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(Storefront()));
        await AssertProblem(await api.CreateClient().SendAsync(shop), HttpStatusCode.Forbidden, field: "key");
    }

    [Fact]
    public async Task A_token_whose_signature_was_tampered_with_is_a_401()
    {
        await using var api = Api();
        var parts = Token(Storefront()).Split('.');
        var payload = Base64UrlEncoder.Decode(parts[1]).Replace("\"storefront\"", "\"admin\"", StringComparison.Ordinal);
        using var client = Bearer(api, $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}");

        await AssertProblem(await client.GetAsync("/api/v1/locations"), HttpStatusCode.Unauthorized);
    }

    private static Dictionary<string, object> With(Dictionary<string, object> claims, string name, object value) => new(claims) { [name] = value };

    private static Dictionary<string, object> Without(Dictionary<string, object> claims, string name)
    {
        var copy = new Dictionary<string, object>(claims);
        copy.Remove(name);
        return copy;
    }
}
