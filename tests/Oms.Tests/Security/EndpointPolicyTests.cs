using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Oms.Api.Security;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Security;

/// <summary>
/// The API's endpoint table, read as ASP.NET Core routes it: every /api/v1 endpoint names a policy of the role
/// matrix, none is open, and what is open on purpose (health, the API document) answers without a key.
/// </summary>
[Collection("api")]
public sealed class EndpointPolicyTests(ApiFixture fixture)
{
    /// <summary>Every /api/v1 route endpoint with its methods and the policies it names, in a stable order.</summary>
    public static IReadOnlyList<(RouteEndpoint Endpoint, IReadOnlyList<string> Methods, IReadOnlyList<string?> Policies)> ApiEndpoints(IServiceProvider services) =>
        [.. services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => (e.RoutePattern.RawText ?? "").StartsWith("/api/v1", StringComparison.Ordinal))
            .Select(e => (
                Endpoint: e,
                Methods: (IReadOnlyList<string>)(e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.ToList() ?? []),
                Policies: (IReadOnlyList<string?>)e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList()))
            .OrderBy(e => e.Endpoint.RoutePattern.RawText, StringComparer.Ordinal)
            .ThenBy(e => string.Join(",", e.Methods), StringComparer.Ordinal)];

    public static string Describe(RouteEndpoint endpoint, IReadOnlyList<string> methods) =>
        $"{string.Join("|", methods)} {endpoint.RoutePattern.RawText}";

    [Fact]
    public void Every_api_endpoint_names_a_policy_of_the_role_matrix()
    {
        var endpoints = ApiEndpoints(fixture.ApiServices);
        Assert.True(endpoints.Count >= 30, $"only {endpoints.Count} /api/v1 endpoints found: the table was not read");

        var offending = new List<string>();
        foreach (var (endpoint, methods, policies) in endpoints)
        {
            var name = Describe(endpoint, methods);
            if (methods.Count == 0)
            {
                offending.Add($"{name}: answers every method");
            }

            if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                offending.Add($"{name}: allows anonymous callers");
            }

            if (policies.Count == 0)
            {
                offending.Add($"{name}: names no policy (falls back to admin only)");
            }

            foreach (var policy in policies)
            {
                if (policy is null || !Oms.Api.Security.Policies.Roles.ContainsKey(policy))
                {
                    offending.Add($"{name}: names '{policy ?? "(no policy, roles or scheme only)"}', which is not in Policies.Roles");
                }
            }

            if (endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Roles is not null || a.AuthenticationSchemes is not null))
            {
                offending.Add($"{name}: narrows by roles or schemes outside the matrix");
            }
        }

        Assert.True(offending.Count == 0, $"{offending.Count} endpoint(s) outside the role matrix:\n{string.Join("\n", offending)}");
    }

    [Fact]
    public void Every_policy_of_the_matrix_is_used_and_allows_admin()
    {
        // Operational endpoints outside /api/v1 (the metrics scrape) name matrix policies too.
        var used = fixture.ApiServices.GetRequiredService<EndpointDataSource>().Endpoints
            .SelectMany(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy)).ToHashSet();
        // The dashboard is mapped only where the API hosts its own silo or client, never attached to a test cluster as
        // here; StartupTests asks it on a real process, with an admin and with a storefront key.
        used.Add(Oms.Api.Security.Policies.Dashboard);
        var unused = Oms.Api.Security.Policies.Roles.Keys.Where(p => !used.Contains(p)).ToList();
        Assert.True(unused.Count == 0, $"policies no endpoint names: {string.Join(", ", unused)}");
        Assert.All(Oms.Api.Security.Policies.Roles, p => Assert.Contains(Oms.Contracts.Security.ApiRole.Admin, p.Value));
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/openapi/v1.json")]
    public async Task What_is_open_on_purpose_answers_without_a_key(string url)
    {
        using var http = AnonymousClient();
        using var response = await http.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url} without a key: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task The_api_document_declares_the_bearer_scheme_and_every_operation_requires_it()
    {
        using var http = AnonymousClient();
        var document = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!;
        var scheme = document["components"]?["securitySchemes"]?["bearer"];
        Assert.NotNull(scheme);
        Assert.Equal("http", (string?)scheme!["type"]);
        Assert.Equal("bearer", ((string?)scheme["scheme"])?.ToLowerInvariant());

        var missing = new List<string>();
        var operations = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            if (!path.StartsWith("/api/v1", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is not ("get" or "put" or "post" or "delete" or "patch"))
                {
                    continue;
                }

                operations++;
                var requirements = operation?["security"] as JsonArray;
                if (requirements is not { Count: > 0 } || !requirements.Any(r => r is JsonObject o && o.ContainsKey("bearer")))
                {
                    missing.Add($"{method.ToUpperInvariant()} {path}");
                }
            }
        }

        var endpoints = ApiEndpoints(fixture.ApiServices).Sum(e => e.Methods.Count);
        Assert.True(operations == endpoints, $"the document lists {operations} /api/v1 operations, the endpoint table {endpoints}");
        Assert.True(missing.Count == 0, $"operations without the bearer security requirement:\n{string.Join("\n", missing)}");
    }

    private HttpClient AnonymousClient() => fixture.Client(key: null);
}
