using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Api;

[Collection("api")]
public sealed class ApiTests(ApiFixture fixture)
{
    private readonly HttpClient _http = fixture.Http;

    private async Task<string> Location(string type = "warehouse")
    {
        var id = Network.Unique(type == "warehouse" ? "WH" : "BQ");
        var response = await _http.PutAsJsonAsync($"/api/v1/locations/{id}", new { name = $"Test {id}", type, latitude = 48.86, longitude = 2.34, countryCode = "FR", timeZone = "Europe/Paris" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    private async Task Stock(string locationId, string sku, int onHand, long sequence = 1)
    {
        var response = await _http.PutAsJsonAsync($"/api/v1/locations/{locationId}/stock", new { sequence, items = new[] { new { sku, onHand } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonNode> Json(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Health_and_the_openapi_document_are_served()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health/ready")).StatusCode);
        var openApi = await _http.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/v1/reservations", openApi);
        Assert.Contains("/api/v1/availability/{sku}", openApi);
    }

    [Fact]
    public async Task A_location_is_created_then_updated_read_and_listed()
    {
        var id = Network.Unique("BQ");
        var body = new { name = "Boutique Paris Saint-Honoré", type = "boutique", latitude = 48.8686, longitude = 2.3247, countryCode = "fr", timeZone = "Europe/Paris" };

        Assert.Equal(HttpStatusCode.Created, (await _http.PutAsJsonAsync($"/api/v1/locations/{id}", body)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.PutAsJsonAsync($"/api/v1/locations/{id}", body with { name = "Boutique Saint-Honoré" })).StatusCode);

        var location = await Json(await _http.GetAsync($"/api/v1/locations/{id}"));
        Assert.Equal("Boutique Saint-Honoré", (string?)location["name"]);
        Assert.Equal("boutique", (string?)location["type"]);
        Assert.Equal("FR", (string?)location["countryCode"]);
        var all = await Json(await _http.GetAsync("/api/v1/locations"));
        Assert.Contains(all["locations"]!.AsArray(), l => (string?)l!["locationId"] == id);
    }

    [Fact]
    public async Task A_snapshot_ignores_stale_items_and_says_which()
    {
        var location = await Location();
        await Stock(location, "BAG-001", 10, sequence: 5);

        var response = await _http.PutAsJsonAsync($"/api/v1/locations/{location}/stock",
            new { sequence = 4, items = new object[] { new { sku = "BAG-001", onHand = 99 }, new { sku = "BAG-002", onHand = 3, safetyStock = 1 } } });

        var body = await Json(response);
        Assert.Equal(["BAG-002"], body["applied"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("BAG-001", (string?)body["ignored"]![0]!["sku"]);
        Assert.Equal(5, (long)body["ignored"]![0]!["lastSequence"]!);
        var level = await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/BAG-001"));
        Assert.Equal(10, (int)level["onHand"]!);
    }

    [Fact]
    public async Task Adjustments_apply_once_and_never_drive_on_hand_negative()
    {
        var location = await Location();
        await Stock(location, "SHOE-1", 2);
        var adjustment = new { adjustmentId = Network.Unique("ADJ"), locationId = location, sku = "SHOE-1", delta = -1, reason = "sold in store" };

        var first = await Json(await _http.PostAsJsonAsync("/api/v1/stock/adjustments", adjustment));
        var again = await Json(await _http.PostAsJsonAsync("/api/v1/stock/adjustments", adjustment));
        var negative = await _http.PostAsJsonAsync("/api/v1/stock/adjustments", adjustment with { adjustmentId = Network.Unique("ADJ"), delta = -5 });

        Assert.Equal("applied", (string?)first["outcome"]);
        Assert.Equal("duplicate", (string?)again["outcome"]);
        Assert.Equal(1, (int)again["level"]!["onHand"]!);
        Assert.Equal(HttpStatusCode.Conflict, negative.StatusCode);
        Assert.Equal(1, (int)(await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/SHOE-1")))["onHand"]!);
    }

    [Fact]
    public async Task Availability_answers_for_one_sku_and_for_a_batch()
    {
        var sku = Network.Unique("SKU");
        var warehouse = await Location();
        var boutique = await Location("boutique");
        await Stock(warehouse, sku, 8);
        await Stock(boutique, sku, 2);

        var one = await Eventually.Until(
            async () => await Json(await _http.GetAsync($"/api/v1/availability/{sku}")),
            v => (int)v["available"]! == 10,
            TimeSpan.FromSeconds(2),
            "both locations are in the network view");
        Assert.Equal([warehouse, boutique], one["locations"]!.AsArray().Select(l => (string)l!["locationId"]!));
        Assert.Equal("boutique", (string?)one["locations"]![1]!["type"]);

        var batch = await Json(await _http.PostAsJsonAsync("/api/v1/availability/query", new { skus = new[] { sku, "UNSTOCKED-SKU" } }));
        Assert.Equal([10, 0], batch["items"]!.AsArray().Select(i => (int)i!["available"]!));
    }

    [Fact]
    public async Task A_reservation_is_created_replayed_read_and_released_idempotently()
    {
        var location = await Location();
        await Stock(location, "BAG-9", 3);
        var id = Network.Unique("RES");
        var request = new { reservationId = id, lines = new[] { new { sku = "BAG-9", locationId = location, quantity = 2 } }, ttlSeconds = 600 };

        var created = await _http.PostAsJsonAsync("/api/v1/reservations", request);
        var replay = await _http.PostAsJsonAsync("/api/v1/reservations", request);
        var other = await _http.PostAsJsonAsync("/api/v1/reservations", request with { ttlSeconds = 60 });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/reservations/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal("held", (string?)(await Json(created))["status"]);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal(1, (int)(await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/BAG-9")))["available"]!);

        Assert.Equal("held", (string?)(await Json(await _http.GetAsync($"/api/v1/reservations/{id}")))["status"]);
        Assert.Equal("released", (string?)(await Json(await _http.DeleteAsync($"/api/v1/reservations/{id}")))["status"]);
        Assert.Equal(HttpStatusCode.OK, (await _http.DeleteAsync($"/api/v1/reservations/{id}")).StatusCode);
        Assert.Equal(3, (int)(await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/BAG-9")))["available"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/reservations/{Network.Unique("NONE")}")).StatusCode);
    }

    [Fact]
    public async Task Short_stock_is_a_409_naming_each_short_line_and_holds_nothing()
    {
        var location = await Location();
        await Stock(location, "A", 5);
        await Stock(location, "B", 1);

        var response = await _http.PostAsJsonAsync("/api/v1/reservations", new
        {
            reservationId = Network.Unique("RES"),
            lines = new[] { new { sku = "A", locationId = location, quantity = 2 }, new { sku = "B", locationId = location, quantity = 3 } },
        });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await Json(response);
        var shortLine = problem["shortLines"]!.AsArray().Single()!;
        Assert.Equal((1, "B", 1), ((int)shortLine["lineIndex"]!, (string)shortLine["sku"]!, (int)shortLine["available"]!));
        Assert.NotNull(problem["errors"]!["lines[1].quantity"]);
        Assert.Equal(5, (int)(await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/A")))["available"]!);
    }

    [Fact]
    public async Task Parallel_buyers_over_http_get_exactly_the_stock_and_no_more()
    {
        var location = await Location();
        await Stock(location, "LIMITED-1", 7);

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => _http.PostAsJsonAsync("/api/v1/reservations", new
        {
            reservationId = Network.Unique("RES"),
            lines = new[] { new { sku = "LIMITED-1", locationId = location, quantity = 1 } },
        })));

        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(33, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var level = await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/LIMITED-1"));
        Assert.Equal((7, 0), ((int)level["reserved"]!, (int)level["available"]!));
    }

    public static TheoryData<string, string, string?, int, string> BadRequests()
    {
        var longId = new string('x', 65);
        return new()
        {
            { "PUT", "/api/v1/locations/{loc}", """{"name":"X","type":"depot","latitude":1,"longitude":2}""", 400, "type" },
            { "PUT", "/api/v1/locations/{loc}", """{"name":"X","type":"warehouse","latitude":91,"longitude":2}""", 400, "latitude" },
            { "PUT", "/api/v1/locations/{loc}", """{"name":"X","type":"warehouse","latitude":1,"longitude":-181}""", 400, "longitude" },
            { "PUT", "/api/v1/locations/{loc}", """{"name":"X","type":"warehouse","latitude":1,"longitude":2,"timeZone":"Mars/Olympus"}""", 400, "timeZone" },
            { "PUT", "/api/v1/locations/{loc}", """{"name":"X","type":"warehouse","latitude":1,"longitude":2,"countryCode":"ZZ"}""", 400, "countryCode" },
            { "PUT", "/api/v1/locations/{loc}", """{"name":"","type":"warehouse","latitude":1,"longitude":2}""", 400, "name" },
            { "PUT", "/api/v1/locations/{loc}", """{"type":"warehouse","latitude":1,"longitude":2}""", 400, "name" },
            { "PUT", $"/api/v1/locations/{longId}", """{"name":"X","type":"warehouse","latitude":1,"longitude":2}""", 400, "locationId" },
            { "PUT", "/api/v1/locations/{loc}/stock", """{"sequence":2,"items":[{"sku":"{sku}","onHand":-1}]}""", 400, "items[0].onHand" },
            { "PUT", "/api/v1/locations/{loc}/stock", """{"sequence":2,"items":[{"sku":"{sku}","onHand":"ten"}]}""", 400, "items[0].onHand" },
            { "PUT", "/api/v1/locations/{loc}/stock", """{"sequence":2,"items":[{"sku":"{sku}","onHand":2000000}]}""", 400, "items[0].onHand" },
            { "PUT", "/api/v1/locations/{loc}/stock", """{"sequence":2,"items":[{"sku":"{sku}","onHand":1},{"sku":"{sku}","onHand":2}]}""", 400, "items[1].sku" },
            { "PUT", "/api/v1/locations/{loc}/stock", """{"sequence":2,"items":[]}""", 400, "items" },
            { "PUT", "/api/v1/locations/{loc}/stock", """{"sequence":-1,"items":[{"sku":"{sku}","onHand":1}]}""", 400, "sequence" },
            { "PUT", "/api/v1/locations/NOWHERE-1/stock", """{"sequence":2,"items":[{"sku":"{sku}","onHand":1}]}""", 404, "locationId" },
            { "POST", "/api/v1/stock/adjustments", """{"adjustmentId":"A1","locationId":"{loc}","sku":"{sku}","delta":0}""", 400, "delta" },
            { "POST", "/api/v1/stock/adjustments", $$"""{"adjustmentId":"{{longId}}","locationId":"{loc}","sku":"{sku}","delta":1}""", 400, "adjustmentId" },
            { "POST", "/api/v1/stock/adjustments", """{"adjustmentId":"A1","locationId":"NOWHERE-1","sku":"{sku}","delta":1}""", 422, "locationId" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":0}]}""", 400, "lines[0].quantity" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":-3}]}""", 400, "lines[0].quantity" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":99999999}]}""", 400, "lines[0].quantity" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":1}],"ttlSeconds":0}""", 400, "ttlSeconds" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":1}],"ttlSeconds":99999999}""", 400, "ttlSeconds" },
            { "POST", "/api/v1/reservations", """{"reservationId":"","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":1}]}""", 400, "reservationId" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1","lines":[]}""", 400, "lines" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1","lines":[{"sku":"{sku}","locationId":"NOWHERE-1","quantity":1}]}""", 422, "lines[0].locationId" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1","lines":[{"sku":"{sku}","quantity":1}]}""", 400, "lines[0].locationId" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1","lines":[{"sku":"{sku}","locationId":"{loc}","quantity":1.5}]}""", 400, "lines[0].quantity" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1","lines":"all of them"}""", 400, "lines" },
            { "POST", "/api/v1/reservations", """{"reservationId":"R1",""", 400, "body" },
            { "POST", "/api/v1/reservations", null, 400, "body" },
            { "POST", "/api/v1/availability/query", """{"skus":[]}""", 400, "skus" },
            { "POST", "/api/v1/availability/query", """{"skus":["ok","not ok"]}""", 400, "skus[1]" },
            { "GET", $"/api/v1/availability/{longId}", null, 400, "sku" },
            { "GET", "/api/v1/locations/{loc}/stock/bad%20sku", null, 400, "sku" },
            { "GET", "/api/v1/locations/NOWHERE-1/stock/{sku}", null, 404, "locationId" },
        };
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_a_problem_naming_the_field_and_changes_nothing(string method, string url, string? body, int status, string field)
    {
        var location = await Location();
        var sku = Network.Unique("SKU");
        await Stock(location, sku, 5);
        string Fill(string s) => s.Replace("{loc}", location).Replace("{sku}", sku);

        using var request = new HttpRequestMessage(new HttpMethod(method), Fill(url));
        if (body is not null)
        {
            request.Content = Body(Fill(body));
        }

        var response = await _http.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await Json(response);
        Assert.Equal(status, (int)problem["status"]!);
        Assert.True(problem["errors"]?[field] is not null, $"errors should name '{field}': {problem.ToJsonString()}");

        var level = await Json(await _http.GetAsync($"/api/v1/locations/{location}/stock/{sku}"));
        Assert.Equal((5, 0, 5), ((int)level["onHand"]!, (int)level["reserved"]!, (int)level["available"]!));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/api/v1/reservations/R1")).StatusCode);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413()
    {
        var lines = string.Join(',', Enumerable.Range(0, 6000).Select(i => $$"""{"sku":"S{{i}}","locationId":"L","quantity":1}"""));
        var response = await _http.PostAsync("/api/v1/reservations", Body($$"""{"reservationId":"BIG","lines":[{{lines}}]}"""));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.NotNull((await Json(response))["errors"]!["body"]);
    }

    [Fact]
    public async Task No_garbage_body_yields_a_server_error()
    {
        var random = new Random(7);
        string[] endpoints = ["/api/v1/reservations", "/api/v1/stock/adjustments", "/api/v1/availability/query"];
        string[] fragments = ["{", "}", "[", "]", "\"lines\":", "\"quantity\":", "null", "1e400", "-0", "\"\\u0000\"", ",", "true", "\"sku\":\"A\"", "{\"reservationId\":\"R\"", "[[[[[[[[[[[[[[[[[[[[", "\"ttlSeconds\":2147483648"];
        for (var i = 0; i < 150; i++)
        {
            var json = string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => fragments[random.Next(fragments.Length)]));
            var response = await _http.PostAsync(endpoints[i % endpoints.Length], Body(json));
            Assert.True((int)response.StatusCode < 500, $"{json} gave {(int)response.StatusCode}");
        }
    }
}
