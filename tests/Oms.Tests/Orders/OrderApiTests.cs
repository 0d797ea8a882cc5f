using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Orders;

[Collection("api")]
public sealed class OrderApiTests(ApiFixture fixture)
{
    private readonly HttpClient _http = fixture.Http;

    private static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private async Task<(string Warehouse, string Sku)> Stocked(int units)
    {
        var warehouse = Network.Unique("WH");
        var sku = Network.Unique("BAG");
        await _http.PutAsJsonAsync($"/api/v1/locations/{warehouse}", new { name = warehouse, type = "warehouse", latitude = 49.0, longitude = 2.5 });
        await _http.PutAsJsonAsync($"/api/v1/locations/{warehouse}/stock", new { sequence = 1, items = new[] { new { sku, onHand = units } } });
        await Eventually.Until(async () => await Json(await _http.GetAsync($"/api/v1/availability/{sku}")),
            v => (int)v["available"]! == units, TimeSpan.FromSeconds(5), "the network view has it");

        // Every silo's network grain must have refreshed its profiles, not only the one that answered.
        await Task.Delay(TestClusters.ProfileRefresh * 2);
        return (warehouse, sku);
    }

    private static string Body(string sku, int quantity = 1, string extra = "") => $$"""
        {
          "channel": "web",
          "customer": { "customerId": "C-1001", "email": "ada@example.com", "name": "Ada L." },
          "lines": [ { "lineId": "1", "sku": "{{sku}}", "quantity": {{quantity}}, "unitPrice": 2450.00, "currency": "EUR" } ],
          "delivery": { "method": "shipToHome",
                        "address": { "line1": "1 Main St", "city": "Paris", "postalCode": "75001", "countryCode": "FR", "latitude": 48.86, "longitude": 2.34 } }
          {{extra}}
        }
        """;

    private Task<HttpResponseMessage> Post(string url, string body, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return _http.SendAsync(request);
    }

    [Fact]
    public async Task An_idempotency_key_names_one_checkout_whatever_orderId_the_body_carries()
    {
        var (_, sku) = await Stocked(5);
        var key = Network.Unique("KEY");
        var mine1 = Network.Unique("ORD-MINE");

        var first = await Post("/api/v1/orders", Body(sku, 1, $",\"orderId\":\"{mine1}\""), key);
        var replay = await Post("/api/v1/orders", Body(sku, 1, $",\"orderId\":\"{mine1}\""), key);
        var otherId = await Post("/api/v1/orders", Body(sku, 1, $",\"orderId\":\"{Network.Unique("ORD-MINE")}\""), key);
        var noId = await Post("/api/v1/orders", Body(sku, 1), key);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (first.StatusCode, replay.StatusCode));
        Assert.Equal(mine1, (string?)(await Json(replay))["orderId"]);
        foreach (var reused in new[] { otherId, noId })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
            Assert.NotNull((await Json(reused))["errors"]!["Idempotency-Key"]);
        }

        var level = await Json(await _http.GetAsync($"/api/v1/availability/{sku}"));
        Assert.Equal(4, (int)level["available"]!);
    }

    [Fact]
    public async Task Idempotency_keys_are_scoped_to_the_channel_and_order_ids_cannot_be_derived_from_them()
    {
        var (_, sku) = await Stocked(5);
        var key = Network.Unique("KEY");

        var web = await Post("/api/v1/orders", Body(sku), key);
        var app = await Post("/api/v1/orders", Body(sku).Replace("\"channel\": \"web\"", "\"channel\": \"app\""), key);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (web.StatusCode, app.StatusCode));
        var (webId, appId) = ((string)(await Json(web))["orderId"]!, (string)(await Json(app))["orderId"]!);
        Assert.NotEqual(webId, appId);
        var derived = "ORD-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];
        Assert.DoesNotContain(derived, new[] { webId, appId });
        Assert.Matches("^ORD-[0-9A-F]{24}$", webId);
    }

    [Fact]
    public async Task A_checkout_is_created_replayed_inspected_noted_listed_and_cancelled()
    {
        var (warehouse, sku) = await Stocked(3);
        var key = Network.Unique("KEY");

        var created = await Post("/api/v1/orders", Body(sku, 2), key);
        var replay = await Post("/api/v1/orders", Body(sku, 2), key);
        var otherBody = await Post("/api/v1/orders", Body(sku, 1), key);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var order = await Json(created);
        var orderId = (string)order["orderId"]!;
        Assert.Equal($"/api/v1/orders/{orderId}", created.Headers.Location!.OriginalString);
        Assert.Equal("allocated", (string?)order["status"]);
        Assert.Equal(warehouse, (string?)order["fulfilments"]![0]!["locationId"]);
        Assert.Equal("ship", (string?)order["fulfilments"]![0]!["mode"]);
        Assert.Equal("chosen", (string?)order["fulfilments"]![0]!["explanation"]!["candidates"]![0]!["verdict"]);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(orderId, (string?)(await Json(replay))["orderId"]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherBody.StatusCode);

        // The actor is the credential; what the body calls its author is display text beside it.
        var noted = await _http.PostAsJsonAsync($"/api/v1/orders/{orderId}/notes", new { text = "Customer asked for gift wrap.", author = "Marie (care)", actor = "someone-else" });
        var note = (await Json(noted))["timeline"]!.AsArray().Last()!;
        Assert.Equal(("bootstrap", "Marie (care)"), ((string?)note["actor"], (string?)note["author"]));
        var listed = await Json(await _http.GetAsync("/api/v1/customers/C-1001/orders"));
        Assert.Contains(listed["orders"]!.AsArray(), o => (string?)o!["orderId"] == orderId);

        var cancel = await Post($"/api/v1/orders/{orderId}/cancel", """{"reason":"changed mind","lines":[{"lineId":"1","quantity":1}]}""", "CANCEL-1");
        var again = await Post($"/api/v1/orders/{orderId}/cancel", """{"reason":"changed mind","lines":[{"lineId":"1","quantity":1}]}""", "CANCEL-1");
        Assert.Equal("partiallyCancelled", (string?)(await Json(cancel))["status"]);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var level = await Json(await _http.GetAsync($"/api/v1/locations/{warehouse}/stock/{sku}"));
        Assert.Equal((1, 2), ((int)level["allocated"]!, (int)level["available"]!));

        var inspected = await Json(await _http.GetAsync($"/api/v1/orders/{orderId}"));
        Assert.Equal(["received", "allocated", "note", "cancelled"], inspected["timeline"]!.AsArray().Select(e => (string)e!["type"]!));
    }

    [Fact]
    public async Task No_stock_is_a_409_naming_the_short_line_and_nothing_is_allocated()
    {
        var (warehouse, sku) = await Stocked(1);

        var response = await Post("/api/v1/orders", Body(sku, 2), Network.Unique("KEY"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await Json(response);
        Assert.Equal("1", (string?)problem["shortLines"]![0]!["lineId"]);
        Assert.NotNull(problem["errors"]!["lines[0].quantity"]);
        Assert.Equal(0, (int)(await Json(await _http.GetAsync($"/api/v1/locations/{warehouse}/stock/{sku}")))["allocated"]!);
    }

    [Fact]
    public async Task Simulate_plans_without_allocating_and_profiles_are_editable()
    {
        var (warehouse, sku) = await Stocked(4);

        // A profile no other test sources with, since profiles are shared by the whole cluster.
        var profile = await _http.PutAsJsonAsync("/api/v1/sourcing/profiles/kiosk-shipToHome",
            new { maxSplit = 2, criteria = new[] { "distance", "priority" }, typePreference = new[] { "boutique", "warehouse" } });
        var plan = await Json(await Post("/api/v1/sourcing/simulate", Body(sku, 3)));

        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        Assert.Equal(2, (int)(await Json(await _http.GetAsync("/api/v1/sourcing/profiles/kiosk-shipToHome")))["maxSplit"]!);
        Assert.Equal(warehouse, (string?)plan["fulfilments"]![0]!["locationId"]);
        Assert.Equal(3, (int)plan["fulfilments"]![0]!["lines"]![0]!["quantity"]!);
        Assert.Equal(0, (int)(await Json(await _http.GetAsync($"/api/v1/locations/{warehouse}/stock/{sku}")))["allocated"]!);
    }

    public static TheoryData<string, string?, int, string> BadCheckouts()
    {
        var lines = string.Join(',', Enumerable.Range(0, 101).Select(i => $$"""{"lineId":"{{i}}","sku":"S{{i}}","quantity":1,"unitPrice":1,"currency":"EUR"}"""));
        const string address = "\"address\":{\"line1\":\"1 Main St\",\"city\":\"Paris\",\"countryCode\":\"FR\"}";
        return new TheoryData<string, string?, int, string>()
        {
            { """{"channel":"web","customer":{"customerId":"C1"},"lines":[],"delivery":{"method":"shipToHome",ADDR}}""", "K", 400, "lines" },
            { """{"channel":"web","customer":{"customerId":"C1"},"lines":[""" + lines + """],"delivery":{"method":"shipToHome",ADDR}}""", "K", 400, "lines" },
            { """{"channel":"web","customer":{"customerId":"C1"},"lines":[{"lineId":"1","sku":"A","quantity":1,"unitPrice":1,"currency":"EUR"},{"lineId":"1","sku":"B","quantity":1,"unitPrice":1,"currency":"EUR"}],"delivery":{"method":"shipToHome",ADDR}}""", "K", 400, "lines[1].lineId" },
            { """{"channel":"web","customer":{"customerId":"C1"},"lines":[{"lineId":"1","sku":"A","quantity":0,"unitPrice":1,"currency":"EUR"}],"delivery":{"method":"shipToHome",ADDR}}""", "K", 400, "lines[0].quantity" },
            { """{"channel":"web","customer":{"customerId":"C1"},"lines":[{"lineId":"1","sku":"A","quantity":100000,"unitPrice":1,"currency":"EUR"}],"delivery":{"method":"shipToHome",ADDR}}""", "K", 400, "lines[0].quantity" },
            { """{"channel":"web","customer":{"customerId":"C1"},"lines":[{"lineId":"1","sku":"A","quantity":1,"unitPrice":-1,"currency":"EUR"}],"delivery":{"method":"shipToHome",ADDR}}""", "K", 400, "lines[0].unitPrice" },
            { """{"channel":"web","customer":{"customerId":"C1"},"lines":[{"lineId":"1","sku":"A","quantity":1,"unitPrice":1,"currency":"XYZ"}],"delivery":{"method":"shipToHome",ADDR}}""", "K", 400, "lines[0].currency" },
            { """{"channel":"web","customer":{"customerId":"C1"},"lines":[{"lineId":"1","sku":"A","quantity":1,"unitPrice":1,"currency":"EUR"}],"delivery":{"method":"shipToHome"}}""", "K", 400, "delivery.address" },
            { """{"channel":"fax","customer":{"customerId":"C1"},"lines":[{"lineId":"1","sku":"A","quantity":1,"unitPrice":1,"currency":"EUR"}],"delivery":{"method":"shipToHome",ADDR}}""", "K", 400, "channel" },
            { """{"channel":"web","customer":{"customerId":"C1"},"lines":[{"lineId":"1","sku":"A","quantity":1,"unitPrice":1,"currency":"EUR"}],"delivery":{"method":"clickAndCollect","pickupLocationId":"NO-SUCH-BQ"}}""", "K", 422, "delivery.pickupLocationId" },
            { """{"channel":"web","customer":{"customerId":"C1"},"lines":[{"lineId":"1","sku":"A","quantity":1,"unitPrice":1,"currency":"EUR"}],"delivery":{"method":"shipToHome",ADDR}}""", null, 400, "Idempotency-Key" },
            { """{"channel":"web","customer":{"customerId":"C1","email":"nope"},"lines":[{"lineId":"1","sku":"A","quantity":1,"unitPrice":1,"currency":"EUR"}],"delivery":{"method":"shipToHome",ADDR}}""", "K", 400, "customer.email" },
        }.Replace(address);
    }

    [Theory]
    [MemberData(nameof(BadCheckouts))]
    public async Task A_bad_checkout_is_refused_naming_the_field_and_nothing_is_allocated(string body, string? key, int status, string field)
    {
        var response = await Post("/api/v1/orders", body, key is null ? null : Network.Unique(key));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.True((await Json(response))["errors"]?[field] is not null, $"errors should name {field}: {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Click_and_collect_at_a_boutique_without_it_is_refused()
    {
        var boutique = Network.Unique("BQ");
        await _http.PutAsJsonAsync($"/api/v1/locations/{boutique}", new { name = boutique, type = "boutique", latitude = 1.0, longitude = 1.0, capabilities = new[] { "shipToCustomer" } });
        await Task.Delay(TestClusters.ProfileRefresh * 2);

        var body = $$$"""
            {"channel":"web","customer":{"customerId":"C1"},"lines":[{"lineId":"1","sku":"A","quantity":1,"unitPrice":1,"currency":"EUR"}],
             "delivery":{"method":"clickAndCollect","pickupLocationId":"{{{boutique}}}"}}
            """;
        var response = await Post("/api/v1/orders", body, Network.Unique("KEY"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("click-and-collect", (string?)(await Json(response))["errors"]!["delivery.pickupLocationId"]![0]);
    }

    [Fact]
    public async Task Cancelling_an_unknown_order_or_an_unknown_line_names_what_is_wrong()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Post($"/api/v1/orders/{Network.Unique("ORD")}/cancel", """{"reason":"x"}""")).StatusCode);

        var (_, sku) = await Stocked(2);
        var orderId = (string)(await Json(await Post("/api/v1/orders", Body(sku), Network.Unique("KEY"))))["orderId"]!;
        var bad = await Post($"/api/v1/orders/{orderId}/cancel", """{"reason":"x","lines":[{"lineId":"9","quantity":1}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotNull((await Json(bad))["errors"]!["lines[0].lineId"]);
    }
}

internal static class TheoryDataExtensions
{
    /// <summary>Spells the shared address once, so each bad case shows only what makes it bad.</summary>
    public static TheoryData<string, string?, int, string> Replace(this TheoryData<string, string?, int, string> data, string address)
    {
        var result = new TheoryData<string, string?, int, string>();
        foreach (var row in data)
        {
            result.Add(((string)row[0]).Replace("ADDR", address), (string?)row[1], (int)row[2], (string)row[3]);
        }

        return result;
    }
}
