using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Security;

/// <summary>An acknowledged key (created, rotated, revoked) is what the next cluster knows, after every silo died.</summary>
[Collection("postgres")]
public sealed class KeyDurabilityTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Created_rotated_and_revoked_keys_survive_killing_every_silo()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_keys");
        var serviceId = Network.Unique("svc");
        string kept, revoked, rotatedOld, rotatedNew;

        var first = await TestClusters.StartAsync(connectionString, serviceId);
        await using (var api = ApiFixture.AttachedTo(first))
        {
            var admin = api.CreateAdminClient();
            kept = (await Create(admin, "integration kept")).Key;
            var (revokedKey, revokedId) = await Create(admin, "integration revoked");
            revoked = revokedKey;
            var (oldKey, rotatedId) = await Create(admin, "integration rotated");
            rotatedOld = oldKey;
            Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/v1/api-keys/{revokedId}")).StatusCode);
            var rotation = await admin.PostAsJsonAsync($"/api/v1/api-keys/{rotatedId}/rotate", new { graceSeconds = 0 });
            rotatedNew = (string)(await rotation.Content.ReadFromJsonAsync<JsonNode>())!["key"]!;

            // Killed, not stopped: nothing gets a chance to flush what was not already durable.
            await Task.WhenAll(first.Silos.ToList().Select(silo => first.KillSiloAsync(silo)));
        }

        await first.DisposeAsync();

        await using var second = await TestClusters.StartAsync(connectionString, serviceId);
        await using var after = ApiFixture.AttachedTo(second);
        Assert.Equal(HttpStatusCode.OK, await Status(after.CreateClient().WithKey(kept)));
        Assert.Equal(HttpStatusCode.OK, await Status(after.CreateClient().WithKey(rotatedNew)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(after.CreateClient().WithKey(revoked)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(after.CreateClient().WithKey(rotatedOld)));
    }

    private static Task<(string Key, string KeyId)> Create(HttpClient admin, string name) =>
        SecurityTestKit.CreateKey(admin, new { name, role = "integration" });

    private static async Task<HttpStatusCode> Status(HttpClient http) => (await http.GetAsync("/api/v1/locations")).StatusCode;
}
