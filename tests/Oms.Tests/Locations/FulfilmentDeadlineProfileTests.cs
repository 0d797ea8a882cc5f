using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oms.Contracts.Locations;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Security.SecurityTestKit;

namespace Oms.Tests.Locations;

/// <summary>
/// The profile's acceptance and pickup deadlines: left out they follow the location's type, given they round-trip,
/// and out of bounds they are a 400 naming the field that changes nothing.
/// </summary>
[Collection("api")]
public sealed class FulfilmentDeadlineProfileTests(ApiFixture fixture)
{
    private readonly HttpClient _http = fixture.Http;

    private static JsonObject Profile(string type, int? acceptWithinMinutes = null, int? holdForPickupDays = null)
    {
        var body = new JsonObject { ["name"] = "Deadlines", ["type"] = type, ["latitude"] = 48.85, ["longitude"] = 2.35 };
        if (acceptWithinMinutes is not null)
        {
            body["acceptWithinMinutes"] = acceptWithinMinutes;
        }

        if (holdForPickupDays is not null)
        {
            body["holdForPickupDays"] = holdForPickupDays;
        }

        return body;
    }

    [Theory]
    [InlineData("warehouse", 30)]
    [InlineData("boutique", 120)]
    public async Task Left_out_the_deadlines_are_the_types_defaults(string type, int acceptWithin)
    {
        var id = Network.Unique("DL");
        var created = await _http.PutAsJsonAsync($"/api/v1/locations/{id}", Profile(type));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = await Json(created);
        Assert.Equal((acceptWithin, 7), ((int)view["acceptWithinMinutes"]!, (int)view["holdForPickupDays"]!));

        var read = await Json(await _http.GetAsync($"/api/v1/locations/{id}"));
        Assert.Equal((acceptWithin, 7), ((int)read["acceptWithinMinutes"]!, (int)read["holdForPickupDays"]!));

        // Stored as "not given", so a later change of the type's default reaches it.
        var stored = await fixture.Grains.GetGrain<ILocationGrain>(id).Get();
        Assert.Equal((null, null), (stored!.AcceptWithinMinutes, stored.HoldForPickupDays));
    }

    [Theory]
    [InlineData("warehouse", 1, 1)]
    [InlineData("boutique", 45, 14)]
    [InlineData("boutique", 10080, 60)]
    public async Task Given_deadlines_round_trip(string type, int acceptWithin, int holdDays)
    {
        var id = Network.Unique("DL");
        Assert.Equal(HttpStatusCode.Created, (await _http.PutAsJsonAsync($"/api/v1/locations/{id}", Profile(type, acceptWithin, holdDays))).StatusCode);

        var read = await Json(await _http.GetAsync($"/api/v1/locations/{id}"));
        Assert.Equal((acceptWithin, holdDays), ((int)read["acceptWithinMinutes"]!, (int)read["holdForPickupDays"]!));
        var stored = await fixture.Grains.GetGrain<ILocationGrain>(id).Get();
        Assert.Equal((acceptWithin, holdDays), (stored!.EffectiveAcceptWithinMinutes, stored.EffectiveHoldForPickupDays));

        // Leaving them out again returns to the defaults.
        var updated = await _http.PutAsJsonAsync($"/api/v1/locations/{id}", Profile(type));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(7, (int)(await Json(updated))["holdForPickupDays"]!);
    }

    [Theory]
    [InlineData(0, null, "acceptWithinMinutes")]
    [InlineData(-1, null, "acceptWithinMinutes")]
    [InlineData(10081, null, "acceptWithinMinutes")]
    [InlineData(int.MaxValue, null, "acceptWithinMinutes")]
    [InlineData(null, 0, "holdForPickupDays")]
    [InlineData(null, -7, "holdForPickupDays")]
    [InlineData(null, 61, "holdForPickupDays")]
    public async Task A_deadline_out_of_bounds_is_a_400_naming_it_and_changes_nothing(int? acceptWithin, int? holdDays, string field)
    {
        var id = Network.Unique("DL");
        Assert.Equal(HttpStatusCode.Created, (await _http.PutAsJsonAsync($"/api/v1/locations/{id}", Profile("boutique", 60, 3))).StatusCode);
        var before = await _http.GetStringAsync($"/api/v1/locations/{id}");

        await AssertProblem(await _http.PutAsJsonAsync($"/api/v1/locations/{id}", Profile("boutique", acceptWithin, holdDays)),
            HttpStatusCode.BadRequest, field: field);
        Assert.Equal(before, await _http.GetStringAsync($"/api/v1/locations/{id}"));

        // Nor is a location created under a new id.
        var fresh = Network.Unique("DL");
        await AssertProblem(await _http.PutAsJsonAsync($"/api/v1/locations/{fresh}", Profile("warehouse", acceptWithin, holdDays)),
            HttpStatusCode.BadRequest, field: field);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/locations/{fresh}")).StatusCode);
    }

    [Theory]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"acceptWithinMinutes":"30"}""", "acceptWithinMinutes")]
    [InlineData("""{"name":"X","type":"boutique","latitude":1,"longitude":2,"holdForPickupDays":7.5}""", "holdForPickupDays")]
    public async Task A_deadline_that_is_not_a_whole_number_is_a_400_naming_it(string body, string field)
    {
        var id = Network.Unique("DL");
        var response = await _http.PutAsync($"/api/v1/locations/{id}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await AssertProblem(response, HttpStatusCode.BadRequest, field: field);
    }
}
