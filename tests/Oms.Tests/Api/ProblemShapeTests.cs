using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Api;

/// <summary>Every refusal is an RFC 9457 problem, including those the framework and Kestrel answer, checked on real Kestrel.</summary>
[Collection("api")]
public sealed class ProblemShapeTests(ApiFixture fixture)
{
    private static async Task<JsonNode> AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
        return problem;
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem()
    {
        await AssertProblem(await fixture.Kestrel().GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_nul_in_the_path_is_refused_before_anything_is_addressed()
    {
        // Kestrel's request-target parser refuses it before any middleware runs and writes the 400 itself, with no
        // body; the one answer here that cannot be a problem (see the README's limits).
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Kestrel().GetAsync("/api/v1/locations/%00")).StatusCode);
    }

    [Theory]
    [InlineData("GET", "/api/v1/nothing-here", HttpStatusCode.NotFound)]
    [InlineData("DELETE", "/api/v1/locations", HttpStatusCode.MethodNotAllowed)]
    [InlineData("GET", "/api/v1/locations/{long}", HttpStatusCode.RequestUriTooLong)]
    public async Task A_client_that_accepts_html_still_gets_a_problem(string method, string path, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{long}", new string('A', 10_000)));
        request.Headers.Accept.ParseAdd("text/html");

        await AssertProblem(await fixture.Kestrel().SendAsync(request), status);
    }

    [Fact]
    public async Task A_wrong_method_is_a_405_problem()
    {
        await AssertProblem(await fixture.Kestrel().DeleteAsync("/api/v1/locations"), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_problem()
    {
        var response = await fixture.Kestrel().PostAsync("/api/v1/stock/adjustments", new StringContent("x", Encoding.UTF8, "text/plain"));

        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task A_body_without_a_content_type_is_a_415_problem_naming_it()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"name":"WH","type":"warehouse","latitude":1,"longitude":2}"""));
        var location = Network.Unique("WH");

        var problem = await AssertProblem(await fixture.Kestrel().PutAsync($"/api/v1/locations/{location}", content), HttpStatusCode.UnsupportedMediaType);

        Assert.NotNull(problem["errors"]!["Content-Type"]);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Kestrel().GetAsync($"/api/v1/locations/{location}")).StatusCode);
    }

    [Fact]
    public async Task A_ten_thousand_character_path_segment_is_a_414_problem_naming_the_path()
    {
        var problem = await AssertProblem(await fixture.Kestrel().GetAsync($"/api/v1/locations/{new string('A', 10_000)}"), HttpStatusCode.RequestUriTooLong);

        Assert.NotNull(problem["errors"]!["path"]);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_a_413_problem_naming_the_body()
    {
        // Streamed with no Content-Length, so only the read itself can tell it is too large.
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"skus\":[\"" + new string('A', 2 * 1024 * 1024) + "\"]}")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/availability/query") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var problem = await AssertProblem(await fixture.Kestrel().SendAsync(request), HttpStatusCode.RequestEntityTooLarge);

        Assert.NotNull(problem["errors"]!["body"]);
    }
}
