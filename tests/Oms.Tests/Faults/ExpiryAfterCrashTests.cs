using Oms.Contracts.Stock;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Faults;

/// <summary>A hold's units come back on time even when the silo that held its stock item dies just before.</summary>
[Collection("postgres")]
public sealed class ExpiryAfterCrashTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(6);

    /// <summary>Killed 3–6 s before expiry, as in the report; a reminder alone came back a minute late.</summary>
    private static readonly TimeSpan AllowedLateness = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Holds_whose_silo_was_killed_before_their_expiry_expire_within_seconds_without_anyone_reading_them()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_expiry");
        await using var cluster = await TestClusters.StartAsync(connectionString, Network.Unique("svc"));
        var grains = cluster.Client;
        var location = await Network.Location(grains);
        var skus = Enumerable.Range(0, 12).Select(i => $"EXP{i}").ToList();
        foreach (var sku in skus)
        {
            await Network.Stock(grains, location, sku, 5);
        }

        var expiresAt = DateTimeOffset.UtcNow + Ttl;
        foreach (var sku in skus)
        {
            Assert.Equal(HoldOutcome.Held, (await Network.Item(grains, location, sku).PlaceHold("drop-1", 1, expiresAt)).Outcome);
        }

        // Twelve items over two silos: some lived on the one that dies without a goodbye.
        await cluster.KillSiloAsync(cluster.Silos[1]);

        // Read from the ledger, not the items: a read would activate them and hide a late sweep.
        var keys = skus.Select(s => $"{s}@{location}").ToArray();
        var expired = await Eventually.Until(() => DatabaseFaults.ExpiryTimes(connectionString, keys), e => e.Count == keys.Length,
            Ttl + AllowedLateness + TimeSpan.FromSeconds(20), "every hold has its expiry in the ledger");

        foreach (var (key, at) in expired)
        {
            Assert.True(at - expiresAt <= AllowedLateness, $"{key} expired {(at - expiresAt).TotalSeconds:0.0} s after its expiry");
        }

        foreach (var sku in skus)
        {
            Assert.Equal(0, (await Network.Item(grains, location, sku).GetLevel()).Reserved);
        }
    }
}
