using Oms.Contracts.Faults;
using Oms.Contracts.Stock;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Faults;

/// <summary>
/// Two activations of one stock item at once, as a split brain or a directory race makes them: two clusters
/// that do not know of each other (different cluster ids) over the same service id and the same database, so
/// each activates the item from the same ledger. The ledger's key (stock key, sequence) is the fence: whichever
/// activation appends second on a stale position loses, answers "unavailable" and reloads, so no hold is
/// appended twice, none is lost and the item is never oversold.
/// </summary>
[Collection("postgres")]
public sealed class DuplicateActivationTests(PostgresFixture postgres)
{
    private const int OnHand = 10;
    private const int Holds = 24;

    [Fact]
    public async Task Holds_through_two_activations_of_one_stock_item_are_fenced_by_the_ledger_and_never_oversell()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_duplicate_activation");
        var database = new DatabaseFaults(postgres.Server, connectionString);
        var serviceId = Network.Unique("svc");
        await using var left = await TestClusters.StartAsync(connectionString, serviceId, silos: 1, clusterId: Network.Unique("left"));
        await using var right = await TestClusters.StartAsync(connectionString, serviceId, silos: 1, clusterId: Network.Unique("right"));
        var location = await Network.Location(left.Client);
        await Network.Stock(left.Client, location, "TWIN", OnHand);
        var key = $"TWIN@{location}";

        // Both activate from the ledger as it is now, each with its own position in memory.
        var sides = new[] { Network.Item(left.Client, location, "TWIN"), Network.Item(right.Client, location, "TWIN") };
        foreach (var side in sides)
        {
            Assert.Equal(OnHand, (await side.GetLevel()).Available);
        }

        // Alternating, so each call reaches an activation the other has just moved past: every other one must be
        // fenced. Then the same id again on the other side, as a client retrying a 503 would.
        var acknowledged = new HashSet<string>();
        var refused = new HashSet<string>();
        var fenced = 0;
        for (var i = 0; i < Holds; i++)
        {
            var id = $"twin-{i}";
            for (var attempt = 0; attempt < 4; attempt++)
            {
                var side = sides[(i + attempt) % 2];
                try
                {
                    var result = await side.PlaceHold(id, 1, DateTimeOffset.UtcNow.AddHours(1));
                    if (result.Outcome is HoldOutcome.Held or HoldOutcome.AlreadyHeld)
                    {
                        acknowledged.Add(id);
                    }
                    else
                    {
                        Assert.Equal(HoldOutcome.Insufficient, result.Outcome);
                        refused.Add(id);
                    }

                    break;
                }
                catch (OmsUnavailableException)
                {
                    fenced++;
                }
            }

            Assert.True(acknowledged.Contains(id) || refused.Contains(id), $"{id} was decided within four attempts");
        }

        Assert.True(fenced > 0, "the stale activation was fenced at least once, or the test did not make two activations");
        Assert.Equal(OnHand, acknowledged.Count);
        Assert.Equal(Holds - OnHand, refused.Count);

        // The ledger itself: each acknowledged hold appended exactly once, nothing else held.
        Assert.Equal(OnHand, await database.Scalar($"SELECT count(*) FROM oms_stock_ledger WHERE stock_key = '{key}' AND kind = 'holdPlaced'"));
        Assert.Equal(OnHand, await database.Scalar($"SELECT count(DISTINCT reference) FROM oms_stock_ledger WHERE stock_key = '{key}' AND kind = 'holdPlaced'"));

        // The fold, from a cluster that never saw any of it: the position replays to what clients were told.
        await using var fresh = await TestClusters.StartAsync(connectionString, serviceId, silos: 1, clusterId: Network.Unique("fresh"));
        var replayed = Network.Item(fresh.Client, location, "TWIN");
        var level = await replayed.GetLevel();
        Assert.Equal((OnHand, OnHand, 0), (level.OnHand, level.Reserved, level.Available));
        Assert.True((await replayed.Verify()).Consistent);
        foreach (var id in acknowledged)
        {
            Assert.NotNull(await replayed.GetHold(id));
        }
    }
}
