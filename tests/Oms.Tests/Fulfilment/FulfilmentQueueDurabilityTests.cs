using Oms.Contracts.Fulfilments;
using Oms.Tests.Infrastructure;
using static Oms.Tests.Fulfilment.FulfilmentQueueTests;

namespace Oms.Tests.Fulfilment;

/// <summary>A Put that returned is what the next cluster lists, after every silo died; so is a remembered version.</summary>
[Collection("postgres")]
public sealed class FulfilmentQueueDurabilityTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_queue_and_its_versions_survive_killing_every_silo()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_fulfilment_queue");
        var serviceId = Network.Unique("svc");
        var location = Network.Unique("WH");

        var first = await TestClusters.StartAsync(connectionString, serviceId);
        var queue = first.Client.GetGrain<IFulfilmentQueueGrain>(location);
        await queue.Put("O1", 2, [Entry("O1", "F1", 2, FulfilmentStatus.Accepted)]);
        await queue.Put("O2", 1, [Entry("O2", "F1", 1)]);
        await queue.Put("O3", 5, []);
        // Killed, not stopped: nothing gets a chance to flush what was not already durable.
        await Task.WhenAll(first.Silos.ToList().Select(silo => first.KillSiloAsync(silo)));
        await first.DisposeAsync();

        await using var second = await TestClusters.StartAsync(connectionString, serviceId);
        var after = second.Client.GetGrain<IFulfilmentQueueGrain>(location);
        var page = await after.List(null, 10, null);
        Assert.Equal(["O2/F1", "O1/F1"], page.Items.Select(t => $"{t.OrderId}/{t.FulfilmentId}"));
        Assert.Equal(FulfilmentStatus.Accepted, page.Items[1].Status);
        Assert.Equal("Ada L.", page.Items[1].CustomerName);

        await after.Put("O3", 4, [Entry("O3", "F1")]);
        await after.Put("O1", 1, []);
        Assert.Equal(2, (await after.List(null, 10, null)).Items.Count);
    }
}
