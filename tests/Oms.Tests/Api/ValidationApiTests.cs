using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Api;

/// <summary>Nonsense that used to be accepted: each is a 400 naming the field, and nothing is created or changed.</summary>
[Collection("api")]
public sealed class ValidationApiTests(ApiFixture fixture)
{
    private const string Location = """{"name":"Boutique","type":"boutique","latitude":1,"longitude":2""";

    private readonly HttpClient _http = fixture.Http;

    private static string Order(string email = "ada@example.com", string name = "Ada L.", string countryCode = "FR", string line1 = "1 Main St") => $$$"""
        {"channel":"web","customer":{"customerId":"{cust}","email":{{{Quote(email)}}},"name":{{{Quote(name)}}}},
         "lines":[{"lineId":"1","sku":"{sku}","quantity":1,"unitPrice":10,"currency":"EUR"}],
         "delivery":{"method":"shipToHome","address":{"line1":{{{Quote(line1)}}},"city":"Paris","countryCode":{{{Quote(countryCode)}}} } } }
        """;

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    public static TheoryData<string, string, string, string> Nonsense() => new()
    {
        { "POST", "/api/v1/orders", Order(email: "not an email @ all"), "customer.email" },
        { "POST", "/api/v1/orders", Order(email: "a@b\r\nBcc: evil@x"), "customer.email" },
        { "POST", "/api/v1/orders", Order(email: "Ada <ada@example.com>"), "customer.email" },
        { "POST", "/api/v1/orders", Order(name: "Ada\0L."), "customer.name" },
        { "POST", "/api/v1/orders", Order(name: "Ada\u001bL."), "customer.name" },
        { "POST", "/api/v1/orders", Order(line1: "1 Main St\r\nX"), "delivery.address.line1" },
        { "POST", "/api/v1/orders", Order(countryCode: "ZZ"), "delivery.address.countryCode" },
        { "PUT", "/api/v1/locations/{new}", Location + ""","name":"Bad\u0000Name"}""", "name" },
        { "PUT", "/api/v1/locations/{new}", Location + ""","address":{"line1":"1 Rue","city":"Pa\nris"}}""", "address.city" },
        { "PUT", "/api/v1/locations/{new}", Location + ""","openingHours":{"monday":[{"open":"10:00","close":"19:00"}],"Monday":[]}}""", "openingHours.Monday" },
        { "PUT", "/api/v1/locations/{new}", Location + ""","openingExceptions":[{"date":"2026-12-25","closed":true,"hours":[{"open":"10:00","close":"12:00"}]}]}""", "openingExceptions[0].hours" },
        { "PUT", "/api/v1/locations/{new}", Location + ""","latitude":3}""", "latitude" },
        { "POST", "/api/v1/reservations", """{"reservationId":"{res}","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":10001,"quantity":1}]}""", "lines[0].quantity" },
        { "POST", "/api/v1/reservations", """{"reservationId":"{res}","reservationId":"{res}","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":1}]}""", "reservationId" },
        { "POST", "/api/v1/reservations", """{"reservationId":".","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":1}]}""", "reservationId" },
        { "POST", "/api/v1/reservations", """{"reservationId":"..","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":1}]}""", "reservationId" },
        { "POST", "/api/v1/stock/adjustments", """{"adjustmentId":"..","locationId":"{loc}","sku":"{sku}","delta":1}""", "adjustmentId" },
        { "POST", "/api/v1/stock/adjustments", """{"adjustmentId":"{res}","locationId":"{loc}","sku":"{sku}","delta":1,"reason":"sold\u0000"}""", "reason" },
        { "PUT", "/api/v1/locations/{loc}/stock", """{"sequence":2,"items":[{"sku":".","onHand":1}]}""", "items[0].sku" },
        { "PUT", "/api/v1/locations/{loc}/stock", """{"sequence":2,"items":[{"sku":"{sku}","onHand":1,"onHand":9}]}""", "items[0].onHand" },
        { "POST", "/api/v1/reservations", """{"reservationId":"{res}","lines":[null]}""", "lines[0]" },
        { "PUT", "/api/v1/locations/{loc}/stock", """{"sequence":2,"items":[{"sku":"{sku}","onHand":1},null]}""", "items[1]" },
        { "POST", "/api/v1/orders/{res}/cancel", """{"reason":"changed\u0000mind"}""", "reason" },
    };

    [Theory]
    [MemberData(nameof(Nonsense))]
    public async Task Nonsense_is_a_400_naming_the_field_and_changes_nothing(string method, string url, string body, string field)
    {
        var location = await Network.Warehouse(_http);
        var sku = Network.Unique("SKU");
        Assert.Equal(HttpStatusCode.OK, (await _http.PutAsJsonAsync($"/api/v1/locations/{location}/stock", new { sequence = 1, items = new[] { new { sku, onHand = 5 } } })).StatusCode);
        var (customer, reservation, created) = (Network.Unique("C"), Network.Unique("R"), Network.Unique("BQ"));
        string Fill(string s) => s.Replace("{loc}", location).Replace("{sku}", sku).Replace("{cust}", customer).Replace("{res}", reservation).Replace("{new}", created);

        using var request = new HttpRequestMessage(new HttpMethod(method), Fill(url)) { Content = new StringContent(Fill(body), Encoding.UTF8, "application/json") };
        var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(problem["errors"]?[field] is not null, $"errors should name '{field}': {problem.ToJsonString()}");

        var level = JsonNode.Parse(await _http.GetStringAsync($"/api/v1/locations/{location}/stock/{sku}"))!;
        Assert.Equal((5, 0, 0), ((int)level["onHand"]!, (int)level["reserved"]!, (int)level["allocated"]!));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/reservations/{reservation}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/locations/{created}")).StatusCode);
        var orders = JsonNode.Parse(await _http.GetStringAsync($"/api/v1/customers/{customer}/orders"))!;
        Assert.Empty(orders["orders"]!.AsArray());
    }

    [Theory]
    [InlineData("""{"reservationId":"R1","lines":[{"sku":"A","locationId":"B","quantity":10001,"quantity":1}]}""", "lines[0].quantity")]
    [InlineData("""{"reservationId":"R1","lines":[],"lines":[{"sku":"A","locationId":"B","quantity":1}]}""", "lines")]
    public async Task A_duplicate_key_is_refused_naming_it_instead_of_the_last_one_winning(string body, string field)
    {
        var response = await _http.PostAsync("/api/v1/reservations", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("more than once", (string?)problem["errors"]?[field]?[0]);
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("-x")]
    public void Ids_must_start_with_a_letter_or_digit(string id)
    {
        Assert.False(Oms.Contracts.Ids.IsValid(id));
        Assert.True(Oms.Contracts.Ids.IsValid($"A{id}"));
    }
}
