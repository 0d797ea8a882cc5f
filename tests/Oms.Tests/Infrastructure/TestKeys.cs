using System.Net.Http.Headers;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Oms.Tests.Infrastructure;

/// <summary>Every API under test accepts this bootstrap admin key; tests that exercise roles mint their own keys.</summary>
public static class TestKeys
{
    public const string Admin = "test-bootstrap-admin-key-5f1c0d9e8b7a6c5d4e3f2a1b0c9d8e7f";

    public static HttpClient WithKey(this HttpClient http, string? key = Admin)
    {
        http.DefaultRequestHeaders.Authorization = key is null ? null : new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>A client of <paramref name="factory"/> that authenticates as the bootstrap admin.</summary>
    public static HttpClient CreateAdminClient(this WebApplicationFactory<Program> factory) => factory.CreateClient().WithKey();
}
