using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Api;

/// <summary>Profile ids are channel-deliveryMethod from the known sets; each exists from the start as the default.</summary>
[Collection("api")]
public sealed class SourcingProfileApiTests(ApiFixture fixture)
{
    private readonly HttpClient _http = fixture.Http;

    [Theory]
    [InlineData("nonsense-xyz")]
    [InlineData("web-shiptohome")]
    [InlineData("web")]
    [InlineData("Web-shipToHome")]
    [InlineData("web-shipToHome-2")]
    public async Task An_unknown_profile_id_is_a_404_to_read_and_a_400_to_write(string profileId)
    {
        var read = await _http.GetAsync($"/api/v1/sourcing/profiles/{profileId}");
        var write = await _http.PutAsJsonAsync($"/api/v1/sourcing/profiles/{profileId}", new { maxSplit = 2 });

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, write.StatusCode);
        foreach (var response in new[] { read, write })
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!["profileId"]);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/api/v1/sourcing/profiles/{profileId}")).StatusCode);
    }

    [Fact]
    public async Task The_first_put_of_a_profile_get_already_showed_is_an_update()
    {
        var shown = JsonNode.Parse(await _http.GetStringAsync("/api/v1/sourcing/profiles/store-clickAndCollect"))!;

        // The same figures GET showed, so the shared profile is unchanged for any other test.
        var put = await _http.PutAsJsonAsync("/api/v1/sourcing/profiles/store-clickAndCollect", new
        {
            maxSplit = (int)shown["maxSplit"]!,
            criteria = shown["criteria"]!.AsArray().Select(c => (string)c!),
            typePreference = shown["typePreference"]!.AsArray().Select(c => (string)c!),
            allowShipFromBoutiques = (bool)shown["allowShipFromBoutiques"]!,
            allowBoutiqueTransfers = (bool)shown["allowBoutiqueTransfers"]!,
        });

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(shown.ToJsonString(), JsonNode.Parse(await put.Content.ReadAsStringAsync())!.ToJsonString());
    }
}
