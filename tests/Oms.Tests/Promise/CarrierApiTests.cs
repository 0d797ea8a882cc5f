using System.Net;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Promise;

/// <summary>Carriers and the shipping fields of a location profile, over HTTP.</summary>
[Collection("promise")]
public sealed class CarrierApiTests(PromiseFixture fixture)
{
    private readonly PromiseKit _kit = new(fixture.Http);

    private const string ValidService = """
        {"serviceId":"express","transitDays":{"default":3,"FR":1,"de":1},"deliveryDays":["monday","tuesday","wednesday","thursday","friday"],
         "pickupDays":["Monday","friday"],"distanceBands":[{"upToKm":30,"transitDays":0}],"deliveryWindowDays":1}
        """;

    [Fact]
    public async Task A_carrier_is_created_then_replaced_and_reads_back_as_sent()
    {
        var id = Network.Unique("DHL");
        var body = $$"""{"name":"DHL","services":[{{ValidService}}],"holidays":{"FR":["2027-01-01","2026-12-25"]} }""";
        var created = await _kit.Send(HttpMethod.Put, $"/api/v1/carriers/{id}", body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = await PromiseKit.Json(created);
        var service = view["services"]![0]!;
        Assert.Equal(3, (int)service["transitDays"]!["default"]!);
        // Country keys are stored upper-case whatever their case was, so "de" serves Germany.
        Assert.Equal(1, (int)service["transitDays"]!["DE"]!);
        Assert.Equal(["monday", "friday"], service["pickupDays"]!.AsArray().Select(d => (string)d!));
        Assert.Equal(["2026-12-25", "2027-01-01"], view["holidays"]!["FR"]!.AsArray().Select(d => (string)d!));

        var replaced = await _kit.Send(HttpMethod.Put, $"/api/v1/carriers/{id}", body.Replace("\"DHL\"", "\"DHL Express\""));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var read = await PromiseKit.Json(await fixture.Http.GetAsync($"/api/v1/carriers/{id}"));
        Assert.Equal("DHL Express", (string)read["name"]!);
        var list = await PromiseKit.Json(await fixture.Http.GetAsync("/api/v1/carriers"));
        Assert.Contains(list["carriers"]!.AsArray(), c => (string)c!["carrierId"]! == id);
    }

    public static TheoryData<string, string> BadCarriers => new()
    {
        { """{"name":"","services":[SERVICE]}""", "name" },
        { """{"name":"X","services":[]}""", "services" },
        { """{"name":"X","services":[SERVICE,SERVICE]}""", "services[1].serviceId" },
        { """{"name":"X","services":[null]}""", "services[0]" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{},"deliveryDays":["monday"],"pickupDays":["monday"]}]}""", "services[0].transitDays" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{"ZZ":1},"deliveryDays":["monday"],"pickupDays":["monday"]}]}""", "services[0].transitDays.ZZ" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{"FR":1,"fr":2},"deliveryDays":["monday"],"pickupDays":["monday"]}]}""", "services[0].transitDays.FR" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{"default":31},"deliveryDays":["monday"],"pickupDays":["monday"]}]}""", "services[0].transitDays.default" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{"default":-1},"deliveryDays":["monday"],"pickupDays":["monday"]}]}""", "services[0].transitDays.default" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{"default":1},"deliveryDays":[],"pickupDays":["monday"]}]}""", "services[0].deliveryDays" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{"default":1},"deliveryDays":["funday"],"pickupDays":["monday"]}]}""", "services[0].deliveryDays[0]" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{"default":1},"deliveryDays":["monday"],"pickupDays":["monday","Monday"]}]}""", "services[0].pickupDays[1]" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{"default":1},"deliveryDays":["monday"],"pickupDays":["monday"],"deliveryWindowDays":11}]}""", "services[0].deliveryWindowDays" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{"default":1},"deliveryDays":["monday"],"pickupDays":["monday"],"distanceBands":[{"upToKm":50,"transitDays":0},{"upToKm":50,"transitDays":1}]}]}""", "services[0].distanceBands[1].upToKm" },
        { """{"name":"X","services":[{"serviceId":"s","transitDays":{"default":1},"deliveryDays":["monday"],"pickupDays":["monday"],"distanceBands":[{"upToKm":20001,"transitDays":0}]}]}""", "services[0].distanceBands[0].upToKm" },
        { """{"name":"X","services":[SERVICE],"holidays":{"FR":["2026-12-25","2026-12-25"]}}""", "holidays.FR[1]" },
        { """{"name":"X","services":[SERVICE],"holidays":{"FR":["25/12/2026"]}}""", "holidays.FR[0]" },
        { """{"name":"X","services":[SERVICE],"holidays":{"XX":["2026-12-25"]}}""", "holidays.XX" },
    };

    [Theory]
    [MemberData(nameof(BadCarriers))]
    public async Task A_bad_carrier_is_refused_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        var id = Network.Unique("BAD");
        var response = await _kit.Send(HttpMethod.Put, $"/api/v1/carriers/{id}", body.Replace("SERVICE", ValidService));
        var problem = await PromiseKit.Json(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem["errors"]?[field] is not null, problem.ToJsonString());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync($"/api/v1/carriers/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_location_keeps_its_cut_off_processing_days_and_services_and_shows_the_effective_processing()
    {
        var zone = "Europe/Paris";
        var boutique = await _kit.Location("boutique", 48.86, 2.34, zone, "17:30", null, [("DHL", "express")]);
        var view = await PromiseKit.Json(await fixture.Http.GetAsync($"/api/v1/locations/{boutique}"));
        Assert.Equal("17:30", (string)view["orderCutoff"]!);
        Assert.Equal(1, (int)view["processingDays"]!);
        Assert.Equal("express", (string)view["carrierServices"]![0]!["serviceId"]!);

        var warehouse = await _kit.Location("warehouse", 48.86, 2.34, zone, null, null, []);
        var plain = await PromiseKit.Json(await fixture.Http.GetAsync($"/api/v1/locations/{warehouse}"));
        Assert.Equal(0, (int)plain["processingDays"]!);
        Assert.Null(plain["orderCutoff"]);
    }

    [Theory]
    [InlineData("""{"orderCutoff":"24:00"}""", "orderCutoff")]
    [InlineData("""{"orderCutoff":"3pm"}""", "orderCutoff")]
    [InlineData("""{"processingDays":31}""", "processingDays")]
    [InlineData("""{"carrierServices":[{"carrierId":"bad id","serviceId":"x"}]}""", "carrierServices[0].carrierId")]
    [InlineData("""{"carrierServices":[null]}""", "carrierServices[0]")]
    public async Task A_bad_shipping_field_is_refused_naming_it(string extra, string field)
    {
        var body = JsonNode.Parse("""{"name":"W","type":"warehouse","latitude":1,"longitude":1}""")!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(extra)!.AsObject())
        {
            body[key] = value?.DeepClone();
        }

        var id = Network.Unique("WH");
        var response = await _kit.Send(HttpMethod.Put, $"/api/v1/locations/{id}", body.ToJsonString());
        var problem = await PromiseKit.Json(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem["errors"]?[field] is not null, problem.ToJsonString());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync($"/api/v1/locations/{id}")).StatusCode);
    }

    [Fact]
    public async Task Only_an_admin_changes_carriers_and_a_storefront_cannot_read_them()
    {
        var (key, _) = await Security.SecurityTestKit.Storefront(fixture.Http, "web");
        using var store = fixture.As(key);
        var put = await store.PutAsync($"/api/v1/carriers/{Network.Unique("X")}", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await store.GetAsync("/api/v1/carriers")).StatusCode);
    }
}
