using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.ClickAndCollect;

/// <summary>Boutique profiles, store protection and near-me pickup over HTTP, against a two-silo cluster.</summary>
[Collection("api")]
public sealed class ClickAndCollectApiTests(ApiFixture fixture)
{
    private readonly HttpClient _http = fixture.Http;

    private static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    /// <summary>Somewhere in the middle of the ocean, so other tests' boutiques never fall inside the radius.</summary>
    private static (double Lat, double Lon) Spot() => (Random.Shared.Next(-40, 40) + 0.5, Random.Shared.Next(-170, -130) + 0.5);

    private async Task<string> Boutique((double Lat, double Lon) at, object? extra = null, string prefix = "BQ")
    {
        var id = Network.Unique(prefix);
        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(new
        {
            name = $"Boutique {id}", type = "boutique", latitude = at.Lat, longitude = at.Lon, countryCode = "FR", timeZone = "UTC",
            pickupPreparationMinutes = 30,
        }))!.AsObject();
        if (extra is not null)
        {
            foreach (var (key, value) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(extra, ApiFixture.Json))!.AsObject())
            {
                body[key] = value?.DeepClone();
            }
        }

        var response = await _http.PutAsync($"/api/v1/locations/{id}", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    private async Task<string> Warehouse((double Lat, double Lon) at)
    {
        var id = Network.Unique("WH");
        var response = await _http.PutAsJsonAsync($"/api/v1/locations/{id}", new { name = id, type = "warehouse", latitude = at.Lat, longitude = at.Lon, timeZone = "UTC" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    private async Task Stock(string location, string sku, int onHand)
    {
        var response = await _http.PutAsJsonAsync($"/api/v1/locations/{location}/stock", new { sequence = 1, items = new[] { new { sku, onHand } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task<JsonNode> WaitFor(string url, Func<JsonNode, bool> done, string because) =>
        Eventually.Until(async () => await Json(await _http.GetAsync(url)), done, TimeSpan.FromSeconds(5), because);

    [Fact]
    public async Task The_full_profile_from_the_design_round_trips()
    {
        var id = Network.Unique("BQ");
        var profile = """
        {
          "name": "Boutique Paris Saint-Honoré", "type": "boutique",
          "latitude": 48.8686, "longitude": 2.3247, "countryCode": "FR", "timeZone": "Europe/Paris",
          "address": { "line1": "12 rue du Faubourg Saint-Honoré", "city": "Paris", "postalCode": "75008" },
          "capabilities": ["shipToCustomer", "clickAndCollect", "acceptsReturns", "receivesTransfers"],
          "status": "active", "priority": 10, "dailyShipCapacity": 20, "pickupPreparationMinutes": 30,
          "openingHours": { "monday": [{ "open": "10:00", "close": "19:00" }], "sunday": [] },
          "openingExceptions": [{ "date": "2026-12-25", "closed": true }],
          "onlineSafetyStock": { "default": 1, "skus": { "BAG-001": 2 } }
        }
        """;

        var put = await _http.PutAsync($"/api/v1/locations/{id}", new StringContent(profile, Encoding.UTF8, "application/json"));
        var read = await Json(await _http.GetAsync($"/api/v1/locations/{id}"));

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal("12 rue du Faubourg Saint-Honoré", (string?)read["address"]!["line1"]);
        Assert.Equal("19:00", (string?)read["openingHours"]!["monday"]![0]!["close"]);
        Assert.Empty(read["openingHours"]!["tuesday"]!.AsArray());
        Assert.True((bool)read["openingExceptions"]![0]!["closed"]!);
        Assert.Equal(2, (int)read["onlineSafetyStock"]!["skus"]!["BAG-001"]!);
        Assert.Equal(20, (int)read["dailyShipCapacity"]!);
        Assert.Equal("active", (string?)read["status"]);
    }

    [Fact]
    public async Task Capabilities_default_by_type()
    {
        var at = Spot();
        var boutique = await Json(await _http.GetAsync($"/api/v1/locations/{await Boutique(at)}"));
        var warehouse = await Json(await _http.GetAsync($"/api/v1/locations/{await Warehouse(at)}"));

        Assert.Equal(["shipToCustomer", "clickAndCollect", "acceptsReturns", "receivesTransfers"], boutique["capabilities"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(["shipToCustomer"], warehouse["capabilities"]!.AsArray().Select(c => (string?)c));
    }

    [Fact]
    public async Task The_online_view_keeps_the_shop_buffer_and_skips_paused_boutiques_the_store_view_shows_both()
    {
        var sku = Network.Unique("SKU");
        var at = Spot();
        var buffered = await Boutique(at, new { onlineSafetyStock = new { @default = 0, skus = new Dictionary<string, int> { [sku] = 2 } } });
        var paused = await Boutique(at, new { status = "paused" });
        await Stock(buffered, sku, 5);
        await Stock(paused, sku, 4);

        var online = await WaitFor($"/api/v1/availability/{sku}", v => (int)v["available"]! == 3, "online shows 5 - 2 at the buffered boutique only");
        var store = await WaitFor($"/api/v1/availability/{sku}?view=store", v => (int)v["available"]! == 9, "store shows both in full");

        Assert.Equal([buffered], online["locations"]!.AsArray().Select(l => (string)l!["locationId"]!));
        Assert.Equal(2, store["locations"]!.AsArray().Count);

        var shop = await WaitFor($"/api/v1/boutiques/{buffered}/stock?skus={sku},NEVER-STOCKED", v => (int)v["items"]![0]!["onHand"]! == 5, "the boutique index has it");
        Assert.Equal((5, 3), ((int)shop["items"]![0]!["available"]!["store"]!, (int)shop["items"]![0]!["available"]!["online"]!));
        Assert.Equal(0, (int)shop["items"]![1]!["onHand"]!);
    }

    [Fact]
    public async Task Boutique_stock_pages_through_everything_it_holds()
    {
        var boutique = await Boutique(Spot());
        for (var i = 0; i < 7; i++)
        {
            await Stock(boutique, $"SKU-{i}", i + 1);
        }

        await WaitFor($"/api/v1/boutiques/{boutique}/stock?limit=500", v => v["items"]!.AsArray().Count == 7, "all seven SKUs indexed");
        var first = await Json(await _http.GetAsync($"/api/v1/boutiques/{boutique}/stock?limit=4"));
        var second = await Json(await _http.GetAsync($"/api/v1/boutiques/{boutique}/stock?limit=4&cursor={(string)first["next"]!}"));

        Assert.Equal(["SKU-0", "SKU-1", "SKU-2", "SKU-3"], first["items"]!.AsArray().Select(i => (string?)i!["sku"]));
        Assert.Equal(["SKU-4", "SKU-5", "SKU-6"], second["items"]!.AsArray().Select(i => (string?)i!["sku"]));
        Assert.Null(second["next"]);
    }

    [Fact]
    public async Task Options_near_me_are_ordered_by_distance_with_transfer_when_the_boutique_lacks_stock()
    {
        var sku = Network.Unique("SKU");
        var at = Spot();
        var near = await Boutique((at.Lat + 0.01, at.Lon));
        var far = await Boutique((at.Lat + 0.2, at.Lon));
        var outside = await Boutique((at.Lat + 3, at.Lon));
        var warehouse = await Warehouse((at.Lat + 1, at.Lon));
        await Stock(far, sku, 2);
        await Stock(outside, sku, 2);
        await Stock(warehouse, sku, 10);

        var url = $"/api/v1/click-and-collect/options?sku={sku}&quantity=1&lat={at.Lat}&lon={at.Lon}&radiusKm=50&limit=10";
        var body = await WaitFor(url, v => v["options"]!.AsArray().Count == 2, "both boutiques inside the radius are offered");
        var options = body["options"]!.AsArray();

        Assert.Equal([near, far], options.Select(o => (string)o!["locationId"]!));
        Assert.Equal("transfer", (string?)options[0]!["pickup"]);
        Assert.Equal(0, (int)options[0]!["available"]!);
        Assert.Contains((string?)options[1]!["pickup"], new[] { "today", "later" });
        Assert.Equal(2, (int)options[1]!["available"]!);
        Assert.True((double)options[0]!["distanceKm"]! < (double)options[1]!["distanceKm"]!);
        Assert.True(DateTimeOffset.Parse((string)options[0]!["readyBy"]!) > DateTimeOffset.Parse((string)options[1]!["readyBy"]!));
    }

    [Fact]
    public async Task A_basket_finds_boutiques_that_serve_every_line_and_marks_the_partial_ones()
    {
        var bag = Network.Unique("BAG");
        var scarf = Network.Unique("SCARF");
        var at = Spot();
        var complete = await Boutique((at.Lat + 0.05, at.Lon));
        var partial = await Boutique((at.Lat + 0.01, at.Lon), new { capabilities = new[] { "clickAndCollect" } });
        await Stock(complete, bag, 1);
        await Stock(complete, scarf, 2);
        await Stock(partial, bag, 1);

        async Task<JsonNode> Ask() => await Json(await _http.PostAsJsonAsync("/api/v1/click-and-collect/options", new
        {
            lines = new[] { new { sku = bag, quantity = 1 }, new { sku = scarf, quantity = 2 } }, lat = at.Lat, lon = at.Lon, radiusKm = 25, limit = 5,
        }));

        var body = await Eventually.Until(Ask, v => v["options"]!.AsArray().Count == 2, TimeSpan.FromSeconds(5), "both boutiques answer");
        var options = body["options"]!.AsArray();

        Assert.Equal([complete, partial], options.Select(o => (string)o!["locationId"]!));
        Assert.False((bool)options[0]!["partial"]!);
        Assert.True((bool)options[1]!["partial"]!);
        Assert.Equal(["here", "unavailable"], options[1]!["lines"]!.AsArray().Select(l => (string?)l!["source"]));
    }

    public static TheoryData<string, string?, string> BadRequests() => new()
    {
        { "/api/v1/click-and-collect/options?sku=A&lat=48&lon=2&radiusKm=0", null, "radiusKm" },
        { "/api/v1/click-and-collect/options?sku=A&lat=48&lon=2&radiusKm=-5", null, "radiusKm" },
        { "/api/v1/click-and-collect/options?sku=A&lat=48&lon=2&radiusKm=501", null, "radiusKm" },
        { "/api/v1/click-and-collect/options?sku=A&lat=91&lon=2", null, "lat" },
        { "/api/v1/click-and-collect/options?sku=A&lat=48&lon=-181", null, "lon" },
        { "/api/v1/click-and-collect/options?sku=A&lon=2", null, "lat" },
        { "/api/v1/click-and-collect/options?sku=not%20a%20sku&lat=48&lon=2", null, "sku" },
        { "/api/v1/click-and-collect/options?sku=A&quantity=0&lat=48&lon=2", null, "quantity" },
        { "/api/v1/click-and-collect/options?sku=A&lat=48&lon=2&limit=500", null, "limit" },
        { "/api/v1/click-and-collect/options", """{"lines":[{"sku":"A","quantity":1}],"lat":48,"lon":2,"radiusKm":0}""", "radiusKm" },
        { "/api/v1/click-and-collect/options", """{"lines":[],"lat":48,"lon":2}""", "lines" },
        { "/api/v1/click-and-collect/options", """{"lines":[{"sku":"A","quantity":1},{"sku":"A","quantity":1}],"lat":48,"lon":2}""", "lines[1].sku" },
        { "/api/v1/click-and-collect/options", """{"lines":[{"sku":"A","quantity":1}],"lat":-95,"lon":2}""", "lat" },
        { "/api/v1/availability/A?view=warehouse", null, "view" },
        { "/api/v1/boutiques/BQ-1/stock?limit=501", null, "limit" },
        { "/api/v1/boutiques/BQ-1/stock?skus=A,not%20ok", null, "skus[1]" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_lookups_are_a_400_naming_the_field(string url, string? body, string field)
    {
        var response = body is null
            ? await _http.GetAsync(url)
            : await _http.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Json(response))["errors"]?[field] is not null, $"errors should name {field}");
    }

    [Theory]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"openingHours":{"monday":[{"open":"19:00","close":"10:00"}]}}""", "openingHours.monday[0].close")]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"openingHours":{"funday":[]}}""", "openingHours.funday")]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"openingHours":{"monday":[{"open":"9am","close":"10:00"}]}}""", "openingHours.monday[0].open")]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"timeZone":"Europe/Atlantis"}""", "timeZone")]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"openingExceptions":[{"date":"2026-02-30","closed":true}]}""", "openingExceptions[0].date")]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"capabilities":["teleport"]}""", "capabilities[0]")]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"status":"closed"}""", "status")]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"onlineSafetyStock":{"default":-1}}""", "onlineSafetyStock.default")]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"pickupPreparationMinutes":-30}""", "pickupPreparationMinutes")]
    public async Task A_bad_profile_is_refused_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        var id = Network.Unique("BQ");

        var response = await _http.PutAsync($"/api/v1/locations/{id}", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Json(response))["errors"]?[field] is not null, $"errors should name {field}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/locations/{id}")).StatusCode);
    }

    [Fact]
    public async Task An_unknown_boutique_is_a_404_and_a_warehouse_is_not_a_boutique()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/boutiques/{Network.Unique("NONE")}/stock")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/boutiques/{await Warehouse(Spot())}/stock")).StatusCode);
    }
}
