using System.Net;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Promise;

/// <summary>The basket and listing promises over HTTP, and the promise carried through an order to its measurement.</summary>
[Collection("promise")]
public sealed class PromiseApiTests(PromiseFixture fixture)
{
    private static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    private readonly PromiseKit _kit = new(fixture.Http);

    /// <summary>Somewhere no other test of the collection puts a location, so the courier's bands see only these.</summary>
    private static (double Lat, double Lon) Spot() => (Random.Shared.Next(-50, 50) + 0.25, Random.Shared.Next(-170, -140) + 0.25);

    private static object Destination((double Lat, double Lon) at, string zone = "Europe/Paris") =>
        new { countryCode = "FR", postalCode = "75002", latitude = at.Lat + 0.01, longitude = at.Lon + 0.01, timeZone = zone };

    /// <summary>An express service with next-day France, a standard one of two days with a day's window, Monday to Friday.</summary>
    private Task<string> ParcelCarrier() => _kit.Carrier(
        PromiseKit.Service("express", new Dictionary<string, int> { ["default"] = 3, ["FR"] = 1 }, PromiseKit.Weekdays, PromiseKit.Weekdays),
        PromiseKit.Service("standard", new Dictionary<string, int> { ["FR"] = 2 }, PromiseKit.Weekdays, PromiseKit.Weekdays, window: 1));

    [Fact]
    public async Task A_basket_gets_one_option_per_service_with_its_cut_off_and_the_boutique_to_collect_from()
    {
        var at = Spot();
        var carrier = await ParcelCarrier();
        var warehouse = await _kit.Location("warehouse", at.Lat, at.Lon, "Europe/Paris", "15:00", null, [(carrier, "express"), (carrier, "standard")]);
        var boutique = await _kit.Location("boutique", at.Lat + 0.02, at.Lon, "Europe/Paris", "17:00", null, [(carrier, "express")]);
        var sku = Network.Unique("BAG");
        var missing = Network.Unique("BAG");
        await _kit.Stock(warehouse, sku, 5);
        await _kit.Stock(boutique, sku, 3);
        await _kit.Visible(sku, 5);

        // Monday 10:00 in Paris: the warehouse's 15:00 cut-off is 5 h away; express arrives Tuesday, standard
        // Wednesday to Thursday.
        var monday = PromiseKit.NextMondayAt(Paris, 10);
        var day = DateOnly.FromDateTime(monday.DateTime);
        var response = await _kit.Send(HttpMethod.Post, "/api/v1/promise", new
        {
            lines = new object[] { new { sku, quantity = 1 }, new { sku = missing, quantity = 1 } },
            destination = Destination(at), at = monday,
        });
        var answer = await PromiseKit.Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer.ToJsonString());

        var mine = answer["options"]!.AsArray().Where(o => (string?)o!["carrierId"] == carrier).ToList();
        Assert.Equal(["express", "standard"], mine.Select(o => (string)o!["serviceId"]!));
        var express = mine[0]!;
        Assert.Equal(day.AddDays(1).ToString("yyyy-MM-dd"), (string)express["earliestDelivery"]!);
        Assert.Equal(day.AddDays(1).ToString("yyyy-MM-dd"), (string)express["latestDelivery"]!);
        Assert.Equal("PT5H", (string)express["orderWithin"]!);
        Assert.Equal([warehouse], express["shipsFrom"]!.AsArray().Select(s => (string)s!));
        Assert.Equal(1, (int)express["shipments"]!);
        Assert.Equal(day.AddDays(2).ToString("yyyy-MM-dd"), (string)mine[1]!["earliestDelivery"]!);
        Assert.Equal(day.AddDays(3).ToString("yyyy-MM-dd"), (string)mine[1]!["latestDelivery"]!);

        Assert.Contains(answer["options"]!.AsArray(), o => (string)o!["method"]! == "clickAndCollect" && (string)o["locationId"]! == boutique);
        var unsourced = Assert.Single(answer["unsourced"]!.AsArray());
        Assert.Equal(missing, (string)unsourced!["sku"]!);
        Assert.False(string.IsNullOrEmpty((string?)unsourced["reason"]));
    }

    [Fact]
    public async Task A_listing_page_gets_each_products_fastest_date_and_after_the_cut_off_the_next_days()
    {
        var at = Spot();
        var carrier = await ParcelCarrier();
        var warehouse = await _kit.Location("warehouse", at.Lat, at.Lon, "Europe/Paris", "15:00", null, [(carrier, "express"), (carrier, "standard")]);
        var stocked = Network.Unique("BAG");
        var none = Network.Unique("BAG");
        await _kit.Stock(warehouse, stocked, 2);
        await _kit.Visible(stocked, 2);

        async Task<JsonArray> Query(DateTimeOffset when)
        {
            var response = await _kit.Send(HttpMethod.Post, "/api/v1/promise/query", new { skus = new[] { stocked, none }, destination = Destination(at), at = when });
            var json = await PromiseKit.Json(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
            return json["items"]!.AsArray();
        }

        var monday = PromiseKit.NextMondayAt(Paris, 10);
        var day = DateOnly.FromDateTime(monday.DateTime);
        var before = await Query(monday);
        Assert.Equal(day.AddDays(1).ToString("yyyy-MM-dd"), (string)before[0]!["earliestDelivery"]!);
        Assert.Equal("PT5H", (string)before[0]!["orderWithin"]!);
        Assert.Equal(warehouse, (string)before[0]!["shipsFrom"]!);
        Assert.False((bool)before[1]!["available"]!);

        // Exactly at the cut-off the day is missed: Tuesday's cut-off, 24 h on, gives Wednesday.
        var after = await Query(PromiseKit.NextMondayAt(Paris, 15));
        Assert.Equal(day.AddDays(2).ToString("yyyy-MM-dd"), (string)after[0]!["earliestDelivery"]!);
        Assert.Equal("P1D", (string)after[0]!["orderWithin"]!);
    }

    [Theory]
    [InlineData("""{"lines":[],"destination":{"countryCode":"FR"}}""", "lines")]
    [InlineData("""{"lines":[{"sku":"A","quantity":0}],"destination":{"countryCode":"FR"}}""", "lines[0].quantity")]
    [InlineData("""{"lines":[{"sku":"bad sku","quantity":1}],"destination":{"countryCode":"FR"}}""", "lines[0].sku")]
    [InlineData("""{"lines":[{"sku":"A","quantity":1}],"destination":{"countryCode":"ZZ"}}""", "destination.countryCode")]
    [InlineData("""{"lines":[{"sku":"A","quantity":1}],"destination":{"countryCode":"FR","latitude":48.8}}""", "destination.longitude")]
    [InlineData("""{"lines":[{"sku":"A","quantity":1}],"destination":{"countryCode":"FR","timeZone":"Mars/Olympus"}}""", "destination.timeZone")]
    [InlineData("""{"lines":[{"sku":"A","quantity":1}],"destination":{"countryCode":"FR"},"at":"2099-01-01T00:00:00Z"}""", "at")]
    public async Task A_bad_promise_question_is_refused_naming_the_field(string body, string field)
    {
        var response = await _kit.Send(HttpMethod.Post, "/api/v1/promise", body);
        var problem = await PromiseKit.Json(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem["errors"]?[field] is not null, problem.ToJsonString());
    }

    [Fact]
    public async Task A_listing_of_more_than_200_skus_is_refused()
    {
        var response = await _kit.Send(HttpMethod.Post, "/api/v1/promise/query",
            new { skus = Enumerable.Range(0, 201).Select(i => $"SKU-{i}").ToArray(), destination = new { countryCode = "FR" } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await PromiseKit.Json(response))["errors"]?["skus"] is not null);
    }

    [Fact]
    public async Task A_checkout_naming_a_service_that_does_not_exist_is_refused()
    {
        var carrier = await ParcelCarrier();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = new StringContent($$"""
                {"channel":"web","customer":{"customerId":"{{Network.Unique("C")}}","email":"ada@example.com","name":"Ada L."},
                 "lines":[{"lineId":"1","sku":"ANY","quantity":1,"unitPrice":10,"currency":"EUR"}],
                 "delivery":{"method":"shipToHome","carrierId":"{{carrier}}","serviceId":"teleport",
                   "address":{"line1":"1 Main St","city":"Paris","postalCode":"75001","countryCode":"FR"} } }
                """, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", Network.Unique("k"));
        var response = await fixture.Http.SendAsync(request);
        var problem = await PromiseKit.Json(response);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True(problem["errors"]?["delivery.serviceId"] is not null, problem.ToJsonString());
    }

    [Theory]
    [InlineData("?from=2026-12-10&to=2026-12-01", "from")]
    [InlineData("?from=2025-01-01&to=2026-12-01", "from")]
    [InlineData("?to=yesterday", "to")]
    public async Task A_bad_metrics_range_is_refused_naming_the_field(string query, string field)
    {
        var response = await fixture.Http.GetAsync($"/api/v1/metrics/promise{query}");
        var problem = await PromiseKit.Json(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem["errors"]?[field] is not null, problem.ToJsonString());
    }

    /// <summary>
    /// The whole chain: a promise, the checkout that stores it, the parcel shipped and delivered, and the metric that
    /// counts it. Same-day and two-day services from one warehouse give one delivery on time and one early; a
    /// rejected shipment re-sourced to a slower warehouse gets a later promise, and the timeline says it moved.
    /// </summary>
    [Fact]
    public async Task A_promise_is_stored_on_the_order_moves_with_a_resourcing_and_is_measured_on_delivery()
    {
        var zone = PromiseKit.Daytime();
        var today = PromiseKit.Today(zone);
        var at = Spot();
        var carrier = await _kit.Carrier(
            PromiseKit.Service("sameDay", new Dictionary<string, int> { ["default"] = 0 }),
            PromiseKit.Service("twoDay", new Dictionary<string, int> { ["default"] = 2 }));
        var near = await _kit.Location("warehouse", at.Lat, at.Lon, zone.Id, "23:59", 0, [(carrier, "sameDay"), (carrier, "twoDay")]);
        var far = await _kit.Location("warehouse", at.Lat + 1, at.Lon, zone.Id, "23:59", 3, [(carrier, "sameDay")]);
        var sku = Network.Unique("BAG");
        await _kit.Stock(near, sku, 3);
        await _kit.Stock(far, sku, 3);
        await _kit.Visible(sku, 6);
        var metricsUrl = $"/api/v1/metrics/promise?from={today.AddDays(-1):yyyy-MM-dd}&to={today.AddDays(1):yyyy-MM-dd}";
        var before = await PromiseKit.Json(await fixture.Http.GetAsync(metricsUrl));

        var promised = await PromiseKit.Json(await _kit.Send(HttpMethod.Post, "/api/v1/promise", new
        {
            lines = new[] { new { sku, quantity = 1 } }, destination = Destination(at, zone.Id),
        }));
        var sameDay = promised["options"]!.AsArray().Single(o => (string?)o!["carrierId"] == carrier && (string)o["serviceId"]! == "sameDay")!;
        Assert.Equal(today.ToString("yyyy-MM-dd"), (string)sameDay["earliestDelivery"]!);

        var onTime = await _kit.Order(sku, at.Lat + 0.01, at.Lon + 0.01, zone.Id, carrier, "sameDay");
        var first = onTime["fulfilments"]![0]!;
        Assert.Equal(near, (string)first["locationId"]!);
        Assert.Equal((string)sameDay["earliestDelivery"]!, (string)first["promisedDelivery"]!["earliestDelivery"]!);
        Assert.Equal("sameDay", (string)first["promisedDelivery"]!["serviceId"]!);
        var orderId = (string)onTime["orderId"]!;
        await _kit.Report(orderId, "F1", new { eventId = "ship-1", type = "shipped", carrier, service = "sameDay", trackingNumber = "T1" });
        var delivered = await _kit.Report(orderId, "F1", new { eventId = "deliver-1", type = "delivered" });
        Assert.Equal("onTime", (string)delivered["promiseResult"]!["outcome"]!);

        var early = await _kit.Order(sku, at.Lat + 0.01, at.Lon + 0.01, zone.Id, carrier, "twoDay");
        var earlyId = (string)early["orderId"]!;
        Assert.Equal(today.AddDays(2).ToString("yyyy-MM-dd"), (string)early["fulfilments"]![0]!["promisedDelivery"]!["earliestDelivery"]!);
        await _kit.Report(earlyId, "F1", new { eventId = "ship-1", type = "shipped" });
        var judged = await _kit.Report(earlyId, "F1", new { eventId = "deliver-1", type = "delivered", occurredAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
        Assert.Equal("early", (string)judged["promiseResult"]!["outcome"]!);
        Assert.Equal(-2, (int)judged["promiseResult"]!["daysOff"]!);

        // The delivered event carries the promise and its judgment to the back-ends.
        var feed = await Eventually.Until(async () => await PromiseKit.Json(await fixture.Http.GetAsync("/api/v1/events?types=fulfilment.delivered&limit=1000")),
            f => f["events"]!.AsArray().Any(e => (string?)e!["data"]!["orderId"] == orderId), TimeSpan.FromSeconds(20), "the delivery in the feed");
        var data = feed["events"]!.AsArray().Select(e => e!["data"]!).Single(d => (string)d["orderId"]! == orderId);
        Assert.Equal("onTime", (string)data["promiseResult"]!["outcome"]!);
        Assert.Equal(carrier, (string)data["promisedDelivery"]!["carrierId"]!);

        var moved = await _kit.Order(sku, at.Lat + 0.01, at.Lon + 0.01, zone.Id, carrier, "sameDay");
        var movedId = (string)moved["orderId"]!;
        Assert.Equal(near, (string)moved["fulfilments"]![0]!["locationId"]!);
        await _kit.Report(movedId, "F1", new { eventId = "reject-1", type = "rejected", reason = "noCapacity" });
        var resourced = await Eventually.Until(async () => await PromiseKit.Json(await fixture.Http.GetAsync($"/api/v1/orders/{movedId}")),
            o => o["fulfilments"]!.AsArray().Any(f => (string)f!["locationId"]! == far), TimeSpan.FromSeconds(20), "re-sourced to the far warehouse");
        var replacement = resourced["fulfilments"]!.AsArray().First(f => (string)f!["locationId"]! == far)!;
        // Three processing days at the far warehouse, open every day: ships on the third day, delivered the same day.
        Assert.Equal(today.AddDays(3).ToString("yyyy-MM-dd"), (string)replacement["promisedDelivery"]!["earliestDelivery"]!);
        Assert.Contains(resourced["timeline"]!.AsArray(), t => ((string?)t!["details"] ?? "").Contains($"moved from {today:yyyy-MM-dd}", StringComparison.Ordinal));

        var after = await PromiseKit.Json(await fixture.Http.GetAsync(metricsUrl));
        Assert.Equal((int)before["deliveries"]!["onTime"]! + 1, (int)after["deliveries"]!["onTime"]!);
        Assert.Equal((int)before["deliveries"]!["early"]! + 1, (int)after["deliveries"]!["early"]!);
        var byService = after["byService"]!.AsArray().Where(s => (string)s!["carrierId"]! == carrier).ToDictionary(s => (string)s!["serviceId"]!, s => s!["deliveries"]!);
        Assert.Equal(1.0, (double)byService["sameDay"]["onTimeShare"]!);
        Assert.Equal(1.0, (double)byService["twoDay"]["earlyShare"]!);
        var location = after["byLocation"]!.AsArray().Single(l => (string)l!["locationId"]! == near)!["deliveries"]!;
        Assert.Equal(2, (int)location["delivered"]!);
        Assert.Equal(0.5, (double)location["onTimeShare"]!);
    }
}
