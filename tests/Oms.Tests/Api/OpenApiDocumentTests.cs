using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Api;

/// <summary>The OpenAPI document is complete enough for a generated client: checked over every operation it lists.</summary>
[Collection("api")]
public sealed partial class OpenApiDocumentTests(ApiFixture fixture)
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex PathParameter();

    private async Task<JsonNode> Document() => JsonNode.Parse(await fixture.Http.GetStringAsync("/openapi/v1.json"))!;

    private static IEnumerable<(string Key, JsonNode Operation, string Path)> Operations(JsonNode document) =>
        from path in document["paths"]!.AsObject()
        from method in Methods
        let operation = path.Value![method]
        where operation is not null
        select ($"{method.ToUpperInvariant()} {path.Key}", operation!, path.Key);

    [Fact]
    public async Task Every_operation_has_a_summary_a_unique_operation_id_its_path_parameters_and_its_problems()
    {
        var document = await Document();
        var operations = Operations(document).ToList();
        Assert.True(operations.Count >= 27, $"only {operations.Count} operations documented");

        var ids = new HashSet<string>();
        foreach (var (key, operation, path) in operations)
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["summary"]), $"{key}: no summary");
            Assert.True(ids.Add((string?)operation["operationId"] ?? ""), $"{key}: missing or repeated operationId");

            var parameters = operation["parameters"]?.AsArray() ?? [];
            foreach (Match name in PathParameter().Matches(path))
            {
                var parameter = parameters.SingleOrDefault(p => (string?)p!["name"] == name.Groups[1].Value && (string?)p["in"] == "path");
                Assert.True(parameter is not null, $"{key}: path parameter {name.Value} not documented");
                Assert.True(parameter!["schema"]!["pattern"] is not null || parameter["schema"]!["enum"] is not null, $"{key}: {name.Value} has no constraint");
            }

            var responses = operation["responses"]!.AsObject();
            Assert.Contains(responses, r => r.Key.StartsWith('2'));
            Assert.True(responses.ContainsKey("503"), $"{key}: 503 not documented");
            if (path.Contains('{'))
            {
                Assert.True(responses.ContainsKey("404"), $"{key}: 404 not documented");
            }

            if (operation["requestBody"] is not null)
            {
                Assert.True(responses.ContainsKey("400") && responses.ContainsKey("413") && responses.ContainsKey("415"), $"{key}: body problems not documented");
            }

            foreach (var (status, response) in responses.Where(r => r.Key[0] is '4' or '5'))
            {
                Assert.True(response!["content"]?["application/problem+json"] is not null, $"{key} {status}: not a problem");
            }
        }
    }

    [Fact]
    public async Task Problems_queries_headers_and_types_are_what_the_api_does()
    {
        var document = await Document();
        var schemas = document["components"]!["schemas"]!.AsObject();
        var operations = Operations(document).ToDictionary(o => o.Key, o => o.Operation);
        JsonNode? Parameter(string operation, string name) =>
            operations[operation]["parameters"]?.AsArray().FirstOrDefault(p => (string?)p!["name"] == name);

        Assert.DoesNotContain(schemas, s => s.Key.StartsWith("AnonymousType", StringComparison.Ordinal));
        Assert.NotNull(schemas["ProblemDetails"]!["properties"]!["errors"]);
        Assert.NotNull(schemas["ProblemDetails"]!["properties"]!["shortLines"]);

        const string ledger = "GET /api/v1/locations/{locationId}/stock/{sku}/ledger";
        Assert.Equal("integer", (string?)Parameter(ledger, "limit")!["schema"]!["type"]);
        Assert.Equal("integer", (string?)Parameter(ledger, "after")!["schema"]!["type"]);
        foreach (var name in new[] { "sku", "quantity", "lat", "lon", "radiusKm", "limit" })
        {
            Assert.NotNull(Parameter("GET /api/v1/click-and-collect/options", name));
        }

        Assert.Equal("header", (string?)Parameter("POST /api/v1/orders", "Idempotency-Key")!["in"]);
        Assert.Contains("201", operations["POST /api/v1/orders"]["responses"]!.AsObject().Select(r => r.Key));
        var onHand = schemas["StockSnapshotItem"]!["properties"]!["onHand"]!;
        Assert.Equal(1_000_000, (int)onHand["maximum"]!);
        Assert.NotNull(schemas["AdjustmentRequest"]!["properties"]!["adjustmentId"]!["pattern"]);
    }

    [Fact]
    public async Task An_interactive_reference_is_served_at_docs()
    {
        var response = await fixture.Http.GetAsync("/docs/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("openapi/v1.json", await response.Content.ReadAsStringAsync());
    }
}
