using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Oms.Contracts.Security;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Security;

/// <summary>
/// Every /api/v1 endpoint of the endpoint table, called by every role, by no key and by a key nobody issued: the
/// answers must be what <see cref="Oms.Api.Security.Policies.Roles"/> says, the table being the only source of the
/// expectation, so a new endpoint or a changed policy is checked without editing this test.
/// </summary>
[Collection("api")]
public sealed partial class RoleMatrixTests(ApiFixture fixture)
{
    /// <summary>Shaped like an issued key, with an id nobody issued: the nearest miss.</summary>
    private const string GarbageKey = "oms_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    /// <summary>Valid ids that exist nowhere: deleting or rotating them cannot touch anything this test relies on.</summary>
    private const string ThrowawayKeyId = "00000000deadbeef";

    [GeneratedRegex(@"\{\**(\w+)[^}]*\}")]
    private static partial Regex RouteParameter();

    private sealed record World(string Boutique, string Sku, string Order, string Customer);

    [Fact]
    public async Task Every_endpoint_answers_each_role_as_the_matrix_says()
    {
        var world = await Seed();
        var callers = new List<(string Name, ApiRole? Role, HttpClient Http)>
        {
            ("no key", null, fixture.Client(key: null)),
            ("garbage key", null, fixture.Client(GarbageKey)),
        };
        foreach (var (role, body) in new (ApiRole, object)[]
        {
            (ApiRole.Storefront, new { name = "matrix storefront", role = "storefront", channels = new[] { "web", "app" } }),
            (ApiRole.Care, new { name = "matrix care", role = "care" }),
            (ApiRole.Store, new { name = "matrix store", role = "store", locationIds = new[] { world.Boutique } }),
            (ApiRole.Integration, new { name = "matrix integration", role = "integration" }),
            (ApiRole.Admin, new { name = "matrix admin", role = "admin" }),
        })
        {
            callers.Add(($"{Oms.Api.Security.Roles.Name(role)} key", role, fixture.Client((await SecurityTestKit.CreateKey(fixture.Http, body)).Key)));
        }

        var endpoints = EndpointPolicyTests.ApiEndpoints(fixture.ApiServices);
        Assert.True(endpoints.Count >= 30, $"only {endpoints.Count} endpoints");
        var mismatches = new List<string>();
        var sent = 0;
        foreach (var (endpoint, methods, policies) in endpoints)
        {
            var allowed = policies.Aggregate(Enum.GetValues<ApiRole>().ToHashSet(), (roles, policy) =>
            {
                roles.IntersectWith(policy is not null && Oms.Api.Security.Policies.Roles.TryGetValue(policy, out var these) ? these : []);
                return roles;
            });
            var url = RouteParameter().Replace(endpoint.RoutePattern.RawText!, m => Value(m.Groups[1].Value, endpoint.RoutePattern.RawText!, world));
            foreach (var method in methods)
            {
                foreach (var (name, role, http) in callers)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), url);
                    if (method is "POST" or "PUT" or "PATCH")
                    {
                        request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                    }

                    using var response = await http.SendAsync(request);
                    sent++;
                    var status = (int)response.StatusCode;
                    var text = await response.Content.ReadAsStringAsync();
                    var what = $"{method} {url} ({string.Join(",", policies)}) as {name}: {status} {(text.Length > 300 ? text[..300] + "…" : text)}";
                    if (status >= 500)
                    {
                        mismatches.Add($"{what}\n    a server error");
                    }
                    else if (role is null)
                    {
                        if (status != 401 || !IsProblem(response, text, 401))
                        {
                            mismatches.Add($"{what}\n    expected a 401 problem");
                        }
                        else if (!response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Bearer"))
                        {
                            mismatches.Add($"{what}\n    expected WWW-Authenticate: Bearer, got '{response.Headers.WwwAuthenticate}'");
                        }
                    }
                    else if (!allowed.Contains(role.Value))
                    {
                        if (status != 403 || !IsProblem(response, text, 403) || (string?)JsonNode.Parse(text)!["missing"] != "role")
                        {
                            mismatches.Add($"{what}\n    expected a 403 problem missing \"role\"");
                        }
                    }
                    else if (status is 401 or 403)
                    {
                        mismatches.Add($"{what}\n    the role is allowed");
                    }
                }
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {sent} answers differ from the matrix:\n{string.Join("\n", mismatches)}");
        Assert.Equal(endpoints.Sum(e => e.Methods.Count) * callers.Count, sent);
    }

    [Theory]
    [InlineData("store")]
    [InlineData("care")]
    public async Task A_storefront_key_is_never_bound_to_another_roles_channel(string channel)
    {
        // Bound to 'store', a storefront would place store orders at any boutique, free of a store key's locations.
        using var response = await fixture.Http.PostAsJsonAsync("/api/v1/api-keys", new { name = "wrong storefront", role = "storefront", channels = new[] { "web", channel } });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.True(JsonNode.Parse(text)!["errors"]?["channels"] is not null, text);
    }

    private static bool IsProblem(HttpResponseMessage response, string text, int status)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return false;
        }

        try
        {
            return JsonNode.Parse(text) is JsonObject problem && (int?)problem["status"] == status && !string.IsNullOrEmpty((string?)problem["title"]);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static string Value(string parameter, string template, World world) => parameter switch
    {
        "locationId" => world.Boutique,
        "sku" => world.Sku,
        "orderId" => world.Order,
        "customerId" => world.Customer,
        "profileId" => "web-shipToHome",
        "carrierId" => "MATRIX-NO-CARRIER",
        // Nothing of these exists: a DELETE an allowed role sends ends in a 404, never in a lost hold or reservation.
        "holdId" => "MATRIX-NO-HOLD",
        "reservationId" => "MATRIX-NO-RESERVATION",
        // Never one of this test's own keys, which a revocation or a rotation would cut off mid-run.
        "keyId" => ThrowawayKeyId,
        // Exists nowhere: an allowed role's PATCH, DELETE, rotation, retry or replay ends in a 404 (or a 400 for its body).
        "webhookId" => "wh_00000000deadbeef",
        "deliveryId" => "1",
        "fulfilmentId" => "F1",
        // The order's first return and refund, which need not exist: an allowed role then meets a 404.
        "returnId" => $"{world.Order}~R1",
        "refundId" => $"{world.Order}~F1",
        _ => throw new InvalidOperationException($"{template}: no value known for route parameter {parameter}; add one here"),
    };

    private async Task<World> Seed()
    {
        var http = fixture.Http;
        var boutique = Network.Unique("BQ");
        var put = await http.PutAsJsonAsync($"/api/v1/locations/{boutique}",
            new { name = "Matrix boutique", type = "boutique", latitude = 48.86, longitude = 2.34, countryCode = "FR", timeZone = "Europe/Paris" });
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var sku = Network.Unique("BAG");
        var stock = await http.PutAsJsonAsync($"/api/v1/locations/{boutique}/stock", new { sequence = 1, items = new[] { new { sku, onHand = 20 } } });
        Assert.Equal(HttpStatusCode.OK, stock.StatusCode);
        // Checkout sources from the network view, which stock and profiles reach asynchronously, on every silo.
        await Eventually.Until(async () => JsonNode.Parse(await http.GetStringAsync($"/api/v1/availability/{sku}"))!,
            v => (int)v["available"]! > 0, TimeSpan.FromSeconds(30), "the network view has the boutique's stock");
        await Task.Delay(TestClusters.ProfileRefresh * 2);

        var customer = Network.Unique("C");
        using var order = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = new StringContent($$"""
                {"channel":"web","customer":{"customerId":"{{customer}}","email":"ada@example.com","name":"Ada L."},
                 "lines":[{"lineId":"1","sku":"{{sku}}","quantity":1,"unitPrice":10,"currency":"EUR"}],
                 "delivery":{"method":"shipToHome","address":{"line1":"1 Main St","city":"Paris","postalCode":"75001","countryCode":"FR","latitude":48.86,"longitude":2.34} } }
                """, Encoding.UTF8, "application/json"),
        };
        order.Headers.Add("Idempotency-Key", Network.Unique("matrix"));
        using var placed = await http.SendAsync(order);
        var placedText = await placed.Content.ReadAsStringAsync();
        Assert.True(placed.StatusCode == HttpStatusCode.Created, placedText);
        return new World(boutique, sku, (string)JsonNode.Parse(placedText)!["orderId"]!, customer);
    }
}
