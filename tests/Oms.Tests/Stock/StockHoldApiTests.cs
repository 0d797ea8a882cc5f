using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Stock;

[Collection("api")]
public sealed class StockHoldApiTests(ApiFixture fixture)
{
    private readonly HttpClient _http = fixture.Http;

    private static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private async Task<(string Location, string Sku)> Stocked(int units)
    {
        var location = Network.Unique("WH");
        var sku = Network.Unique("DROP");
        await _http.PutAsJsonAsync($"/api/v1/locations/{location}", new { name = location, type = "warehouse", latitude = 49.0, longitude = 2.5 });
        await _http.PutAsJsonAsync($"/api/v1/locations/{location}/stock", new { sequence = 1, items = new[] { new { sku, onHand = units } } });
        return (location, sku);
    }

    private Task<HttpResponseMessage> Hold(string location, string sku, string holdId, int quantity = 1, int ttlSeconds = 600) =>
        _http.PostAsJsonAsync($"/api/v1/locations/{location}/stock/{sku}/holds", new { holdId, quantity, ttlSeconds });

    private async Task<JsonNode> Level(string location, string sku) => await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/{sku}"));

    [Fact]
    public async Task A_hold_is_placed_replayed_read_released_and_never_resurrected()
    {
        var (location, sku) = await Stocked(5);

        var placed = await Hold(location, sku, "H-1", 2);
        var replay = await Hold(location, sku, "H-1", 2, ttlSeconds: 60);
        var otherQuantity = await Hold(location, sku, "H-1", 3);

        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var hold = await Json(placed);
        Assert.Equal($"/api/v1/locations/{location}/stock/{sku}/holds/H-1", placed.Headers.Location!.OriginalString);
        Assert.Equal(("held", 2, 3), ((string?)hold["status"], (int)hold["quantity"]!, (int)hold["available"]!));
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal((string?)hold["expiresAt"], (string?)(await Json(replay))["expiresAt"]);
        Assert.Equal(HttpStatusCode.Conflict, otherQuantity.StatusCode);
        Assert.NotNull((await Json(otherQuantity))["errors"]!["holdId"]);

        var read = await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/{sku}/holds/H-1"));
        Assert.Equal("held", (string?)read["status"]);
        Assert.NotNull(read["placedAt"]);
        Assert.Equal(2, (int)(await Level(location, sku))["reserved"]!);

        var released = await _http.DeleteAsync($"/api/v1/locations/{location}/stock/{sku}/holds/H-1");
        var releasedAgain = await _http.DeleteAsync($"/api/v1/locations/{location}/stock/{sku}/holds/H-1");
        var ended = await Json(released);
        Assert.Equal("released", (string?)ended["status"]);
        Assert.NotNull(ended["endedAt"]);
        Assert.Equal(HttpStatusCode.OK, releasedAgain.StatusCode);
        Assert.Equal(0, (int)(await Level(location, sku))["reserved"]!);

        // A late retry of the placement must not hold the units again.
        Assert.Equal(HttpStatusCode.Conflict, (await Hold(location, sku, "H-1", 2)).StatusCode);
        Assert.Equal(0, (int)(await Level(location, sku))["reserved"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/locations/{location}/stock/{sku}/holds/H-2")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.DeleteAsync($"/api/v1/locations/{location}/stock/{sku}/holds/H-2")).StatusCode);
    }

    [Fact]
    public async Task Three_hundred_buyers_racing_for_forty_units_get_exactly_forty_holds()
    {
        var (location, sku) = await Stocked(40);

        var responses = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Hold(location, sku, $"B-{i}")));

        Assert.Equal(40, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(260, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var level = await Level(location, sku);
        Assert.Equal((40, 0), ((int)level["reserved"]!, (int)level["available"]!));
        var refused = await Json(responses.First(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(0, (int)refused["available"]!);
        Assert.NotNull(refused["errors"]!["quantity"]);
        var verify = await Json(await _http.PostAsync($"/api/v1/locations/{location}/stock/{sku}/verify", null));
        Assert.Equal("consistent", (string?)verify["status"]);
    }

    [Fact]
    public async Task Checkout_sells_the_held_unit_and_the_hold_cannot_be_used_twice()
    {
        var (location, sku) = await Stocked(1);
        Assert.Equal(HttpStatusCode.Created, (await Hold(location, sku, "DROP-BUYER-1")).StatusCode);

        var order = await Checkout(sku, location, "DROP-BUYER-1");
        var again = await Checkout(sku, location, "DROP-BUYER-1");

        Assert.Equal(HttpStatusCode.Created, order.StatusCode);
        var body = await Json(order);
        Assert.Equal(location, (string?)body["fulfilments"]![0]!["locationId"]);
        Assert.Contains("stock hold DROP-BUYER-1", (string?)body["fulfilments"]![0]!["explanation"]!["rule"]);
        var level = await Level(location, sku);
        Assert.Equal((0, 1, 0), ((int)level["reserved"]!, (int)level["allocated"]!, (int)level["available"]!));
        var hold = await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/{sku}/holds/DROP-BUYER-1"));
        Assert.Equal("allocated", (string?)hold["status"]);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.NotNull((await Json(again))["errors"]!["lines[0].hold"]);
        Assert.Equal(1, (int)(await Level(location, sku))["allocated"]!);
    }

    [Fact]
    public async Task Checkout_with_an_unknown_or_mismatched_hold_is_refused_and_allocates_nothing()
    {
        var (location, sku) = await Stocked(5);
        await Hold(location, sku, "H-2", 2);

        var unknown = await Checkout(sku, location, "NO-SUCH-HOLD");
        var mismatched = await Checkout(sku, location, "H-2", quantity: 1);

        Assert.Equal(HttpStatusCode.Conflict, unknown.StatusCode);
        Assert.Contains("unknown", (string?)(await Json(unknown))["detail"]);
        Assert.Equal(HttpStatusCode.Conflict, mismatched.StatusCode);
        Assert.NotNull((await Json(mismatched))["errors"]!["lines[0].hold"]);
        var level = await Level(location, sku);
        Assert.Equal((2, 0), ((int)level["reserved"]!, (int)level["allocated"]!));
    }

    [Theory]
    [InlineData("""{"holdId":"bad id","quantity":1}""", "holdId")]
    [InlineData("""{"holdId":"H","quantity":0}""", "quantity")]
    [InlineData("""{"holdId":"H","quantity":100000}""", "quantity")]
    [InlineData("""{"holdId":"H","quantity":1,"ttlSeconds":0}""", "ttlSeconds")]
    [InlineData("""{"quantity":1}""", "holdId")]
    [InlineData("""{"holdId":"H","quantity":"one"}""", "quantity")]
    public async Task A_bad_hold_names_its_field_and_holds_nothing(string body, string field)
    {
        var (location, sku) = await Stocked(5);

        var response = await _http.PostAsync($"/api/v1/locations/{location}/stock/{sku}/holds", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await Json(response))["errors"]![field]);
        Assert.Equal(0, (int)(await Level(location, sku))["reserved"]!);
    }

    [Fact]
    public async Task A_hold_at_an_unknown_location_or_with_a_bad_path_is_refused()
    {
        var unknown = await Hold(Network.Unique("NOWHERE"), "SKU", "H-1");
        var badSku = await _http.PostAsJsonAsync("/api/v1/locations/WH/stock/bad%20sku/holds", new { holdId = "H", quantity = 1 });

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.NotNull((await Json(unknown))["errors"]!["locationId"]);
        Assert.Equal(HttpStatusCode.BadRequest, badSku.StatusCode);
        Assert.NotNull((await Json(badSku))["errors"]!["sku"]);
    }

    [Fact]
    public async Task A_line_hold_cannot_be_combined_with_a_reservation()
    {
        var response = await Checkout("SKU", "WH", "H-1", extra: """, "reservationId": "R-1" """);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await Json(response))["errors"]!["lines[0].hold"]);
    }

    [Fact]
    public async Task A_hold_or_a_reservation_for_a_customer_is_sold_only_to_that_customer()
    {
        var (location, sku) = await Stocked(5);
        var placed = await _http.PostAsJsonAsync($"/api/v1/locations/{location}/stock/{sku}/holds", new { holdId = "H-VIP", quantity = 1, customerId = "C-VIP" });
        Assert.Equal("C-VIP", (string?)(await Json(placed))["customerId"]);
        var reservationId = Network.Unique("RES");
        Assert.Equal(HttpStatusCode.Created, (await _http.PostAsJsonAsync("/api/v1/reservations",
            new { reservationId, customerId = "C-VIP", lines = new[] { new { sku, locationId = location, quantity = 2 } } })).StatusCode);

        var holdByOther = await Checkout(sku, location, "H-VIP", 1, customer: "C-OTHER");
        var reservationByOther = await CheckoutReservation(sku, reservationId, "C-OTHER");

        Assert.Equal(HttpStatusCode.Conflict, holdByOther.StatusCode);
        Assert.Contains("another customer", (string?)(await Json(holdByOther))["errors"]!["lines[0].hold"]![0]);
        Assert.Equal(HttpStatusCode.Conflict, reservationByOther.StatusCode);
        Assert.NotNull((await Json(reservationByOther))["errors"]!["reservationId"]);
        Assert.Equal((3, 0), ((int)(await Level(location, sku))["reserved"]!, (int)(await Level(location, sku))["allocated"]!));

        Assert.Equal(HttpStatusCode.Created, (await Checkout(sku, location, "H-VIP", 1, customer: "C-VIP")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await CheckoutReservation(sku, reservationId, "C-VIP")).StatusCode);
        Assert.Equal((0, 3), ((int)(await Level(location, sku))["reserved"]!, (int)(await Level(location, sku))["allocated"]!));
    }

    private Task<HttpResponseMessage> CheckoutReservation(string sku, string reservationId, string customer)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = new StringContent($$"""
                {"channel":"web","customer":{"customerId":"{{customer}}"},"reservationId":"{{reservationId}}",
                 "lines":[{"lineId":"1","sku":"{{sku}}","quantity":2,"unitPrice":950,"currency":"EUR"}],
                 "delivery":{"method":"shipToHome","address":{"line1":"1 Main St","city":"Paris","countryCode":"FR"} } }
                """, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", Network.Unique("KEY"));
        return _http.SendAsync(request);
    }

    [Fact]
    public async Task Simulation_tells_the_truth_checkout_tells_about_holds_and_reservations()
    {
        var (location, sku) = await Stocked(5);
        Assert.Equal(HttpStatusCode.Created, (await Hold(location, sku, "H-SIM", 2)).StatusCode);

        var held = await Checkout(sku, location, "H-SIM", 2, simulate: true);
        var unknownHold = await Checkout(sku, location, "H-NONE", 2, simulate: true);
        var wrongQuantity = await Checkout(sku, location, "H-SIM", 1, simulate: true);

        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        var plan = (await Json(held))["fulfilments"]!.AsArray().Single()!;
        Assert.Equal((location, "reservation"), ((string?)plan["locationId"], (string?)plan["explanation"]!["profileId"]));
        Assert.Contains("stock hold H-SIM", (string?)plan["explanation"]!["rule"]);
        foreach (var refused in new[] { unknownHold, wrongQuantity })
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.NotNull((await Json(refused))["errors"]!["lines[0].hold"]);
        }

        // The same refusal checkout gives, and the simulation consumed nothing: the hold still sells.
        Assert.Equal(HttpStatusCode.Conflict, (await Checkout(sku, location, "H-NONE", 2)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Checkout(sku, location, "H-SIM", 2)).StatusCode);
        var consumed = await Checkout(sku, location, "H-SIM", 2, simulate: true);
        Assert.Equal(HttpStatusCode.Conflict, consumed.StatusCode);

        var noReservation = await Simulate($$"""
            {"channel":"web","customer":{"customerId":"C-DROP"},"reservationId":"{{Network.Unique("RES")}}",
             "lines":[{"lineId":"1","sku":"{{sku}}","quantity":1,"unitPrice":950,"currency":"EUR"}],
             "delivery":{"method":"shipToHome","address":{"line1":"1 Main St","city":"Paris","countryCode":"FR"} } }
            """);
        Assert.Equal(HttpStatusCode.Conflict, noReservation.StatusCode);
        Assert.NotNull((await Json(noReservation))["errors"]!["reservationId"]);
    }

    private Task<HttpResponseMessage> Simulate(string body) =>
        _http.PostAsync("/api/v1/sourcing/simulate", new StringContent(body, Encoding.UTF8, "application/json"));

    private Task<HttpResponseMessage> Checkout(
        string sku, string location, string holdId, int quantity = 1, string extra = "", bool simulate = false, string customer = "C-DROP")
    {
        var body = $$"""
            {
              "channel": "web",
              "customer": { "customerId": "{{customer}}" },
              "lines": [ { "lineId": "1", "sku": "{{sku}}", "quantity": {{quantity}}, "unitPrice": 950, "currency": "EUR",
                           "hold": { "locationId": "{{location}}", "holdId": "{{holdId}}" } } ],
              "delivery": { "method": "shipToHome", "address": { "line1": "1 Main St", "city": "Paris", "countryCode": "FR" } }
              {{extra}}
            }
            """;
        if (simulate)
        {
            return Simulate(body);
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", Network.Unique("KEY"));
        return _http.SendAsync(request);
    }
}
