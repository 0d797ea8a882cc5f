using Microsoft.Extensions.Diagnostics.HealthChecks;
using Oms.Api.Orders;
using Oms.Api.Security;
using Oms.Contracts;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Promise;
using Oms.Contracts.Orders;
using Oms.Contracts.Security;
using Oms.Contracts.Stock;
using Oms.Grains.Orders;

namespace Oms.Api.Demo;

/// <summary>
/// Loads <see cref="DemoNetwork"/> once the cluster is up (--seed-demo), then places <see cref="DemoOrders"/> through
/// the checkout. Snapshots use sequence 1 and orders fixed ids and report ids, so seeding again after a restart on
/// PostgreSQL is a no-op rather than a reset of real movements or a second set of orders.
/// </summary>
public sealed class DemoSeeder(
    IGrainFactory grains, DemoReadiness readiness, IHostApplicationLifetime lifetime, ApiKeyCache keys, TimeProvider clock, ILogger<DemoSeeder> logger)
    : BackgroundService
{
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(1);

    private bool _keysIssued;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        await using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);

        // HTTP opens before the cluster answers (liveness must not wait for it), so the first tries may fail.
        while (true)
        {
            try
            {
                await Seed(stoppingToken);
                break;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogInformation("Demo seeding waits for the cluster: {Reason}", ex.Message);
                await Task.Delay(RetryEvery, stoppingToken);
            }
        }

        readiness.Seeded();
    }

    private async Task Seed(CancellationToken stoppingToken)
    {
        if (!_keysIssued)
        {
            // Once per process: a retry of the stock seeding must not print a second set of keys.
            await DemoKeys.Issue(grains, keys, clock, Console.Out);
            _keysIssued = true;
        }

        foreach (var location in DemoNetwork.Locations)
        {
            await grains.GetGrain<ILocationGrain>(location.LocationId).Upsert(location);
        }

        foreach (var carrier in DemoNetwork.Carriers)
        {
            await grains.GetGrain<ICarrierDirectoryGrain>(ICarrierDirectoryGrain.Key).Upsert(carrier);
        }

        var count = 0;
        foreach (var batch in DemoNetwork.Stock().Chunk(200))
        {
            stoppingToken.ThrowIfCancellationRequested();
            await Task.WhenAll(batch.Select(s =>
                grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(s.LocationId, s.Sku)).ApplySnapshot(1, s.OnHand, s.SafetyStock)));
            count += batch.Length;
        }

        // Ready means the storefront's first question is answered: wait until the network view, which is fed
        // asynchronously and refreshes its profiles on a period, shows the last SKU seeded.
        var last = DemoNetwork.Stock().Last(s => s.OnHand > s.SafetyStock);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        patience.CancelAfter(TimeSpan.FromSeconds(30));
        while ((await grains.GetGrain<INetworkGrain>(0).GetAvailability(last.Sku, AvailabilityView.Store)).Available == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), patience.Token);
        }

        logger.LogInformation("Demo network seeded: {Locations} locations, {Positions} stock positions", DemoNetwork.Locations.Count, count);

        var ordering = clock.GetTimestamp();
        var placed = new List<OrderView>(DemoOrders.All.Count);
        foreach (var demo in DemoOrders.All)
        {
            stoppingToken.ThrowIfCancellationRequested();
            if (await Place(demo) is { } order)
            {
                placed.Add(await Tell(demo, order));
            }
        }

        // Ready means care's first search finds them: the projection follows the event feed a moment behind.
        while (!await Searchable(placed))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), patience.Token);
        }

        logger.LogInformation("Demo orders placed and searchable in {Elapsed} ms: {Orders} ({First}…), search by email {Email}",
            (int)clock.GetElapsedTime(ordering).TotalMilliseconds, placed.Count, DemoOrders.All[0].OrderId, DemoOrders.SearchEmail);
    }

    /// <summary>
    /// The checkout POST /api/v1/orders runs for a care or storefront key that names the order id: the same
    /// validation, the same pickup check, the same command to the order grain. Again after a restart on PostgreSQL,
    /// the same body under the same id is a replay, never a second order.
    /// </summary>
    private async Task<OrderView?> Place(DemoOrder demo)
    {
        var request = demo.Request;
        if ((OrderRequests.Validate(request) ?? await OrderEndpoints.PickupRefusal(request, grains)) is { } invalid)
        {
            throw new InvalidOperationException($"Demo order {demo.OrderId} is not a valid checkout: {invalid}");
        }

        As(request.Channel == OrderChannel.Care ? "OMS_CARE_KEY" : "OMS_STOREFRONT_KEY");
        var result = await grains.GetGrain<IOrderGrain>(demo.OrderId).Place(OrderRequests.ToCommand(request));
        if (result.Outcome is PlaceOrderOutcome.Created or PlaceOrderOutcome.Replayed)
        {
            return result.Order;
        }

        // A demo whose stock was changed by hand since may not find it; the other orders still make a demo.
        logger.LogWarning("Demo order {OrderId} was not placed: {Outcome} {Message}", demo.OrderId, result.Outcome, result.Message);
        return null;
    }

    /// <summary>
    /// What happens to the order after checkout, reported to its fulfilment grain as the fulfilment events endpoint
    /// reports it, each report under a fixed event id so a second seeding replays it. A step the order is already
    /// past (a deadline ran out while the demo was down, say) is logged and left: the demo takes the order as it is.
    /// </summary>
    private async Task<OrderView> Tell(DemoOrder demo, OrderView order)
    {
        var fulfilment = grains.GetGrain<IFulfilmentGrain>(demo.OrderId);
        switch (demo.Story)
        {
            case DemoStory.Accepted:
                await Report(order, [FulfilmentReportType.Accepted]);
                break;
            case DemoStory.Delivered:
                await Report(order, [FulfilmentReportType.Accepted, FulfilmentReportType.Packed, FulfilmentReportType.Shipped, FulfilmentReportType.Delivered]);
                break;
            case DemoStory.ReadyForPickup:
                await Report(order, [FulfilmentReportType.Accepted, FulfilmentReportType.ReadyForPickup]);
                break;
            case DemoStory.CancelSecondLine:
                As("OMS_CARE_KEY");
                var cancel = await fulfilment.Cancel(new CancelOrder($"{demo.OrderId}-cancel-2", "the customer no longer wants the second item",
                    [new CancelLine("2", demo.Request.Lines[1].Quantity)], ActorContext.Current));
                if (cancel.Outcome is not (CancelOutcome.Cancelled or CancelOutcome.Replayed))
                {
                    logger.LogWarning("Demo order {OrderId}: the cancellation was refused: {Outcome} {Message}", demo.OrderId, cancel.Outcome, cancel.Message);
                }

                break;
            case DemoStory.Unfulfillable:
                // Each rejection re-sources at once without the locations that refused; bounded by the network's size.
                for (var asked = 0; asked <= DemoNetwork.Locations.Count; asked++)
                {
                    order = await Get(demo.OrderId);
                    if (order.NeedsAttention is not null || order.Fulfilments.FirstOrDefault(f => f.Status == FulfilmentStatus.Requested) is not { } open)
                    {
                        break;
                    }

                    As(open.LocationId == DemoOrders.Boutique ? "OMS_STORE_KEY" : "OMS_INTEGRATION_KEY");
                    await Step(demo.OrderId, open, new FulfilmentReport($"{demo.OrderId}-{open.FulfilmentId}-rejected", FulfilmentReportType.Rejected,
                        Reason: RejectionReason.NotFound, Note: "not on the shelf at the count"));
                }

                break;
        }

        return await Get(demo.OrderId);
    }

    /// <summary>The steps, in turn, for each fulfilment of the order's plan.</summary>
    private async Task Report(OrderView order, FulfilmentReportType[] steps)
    {
        foreach (var f in order.Fulfilments)
        {
            // The boutique's own tablet reports at the demo store key's boutique, the WMS feed everywhere else.
            As(f.LocationId == DemoOrders.Boutique ? "OMS_STORE_KEY" : "OMS_INTEGRATION_KEY");
            foreach (var step in steps)
            {
                var report = step == FulfilmentReportType.Shipped
                    ? new FulfilmentReport($"{order.OrderId}-{f.FulfilmentId}-shipped", step, Carrier: "Colissimo", Service: "Expert",
                        TrackingNumber: $"6A{order.OrderId[DemoOrders.IdPrefix.Length..]}{f.FulfilmentId}FR",
                        TrackingUrl: $"https://www.laposte.fr/outils/suivre-vos-envois?code=6A{order.OrderId[DemoOrders.IdPrefix.Length..]}{f.FulfilmentId}FR")
                    : new FulfilmentReport($"{order.OrderId}-{f.FulfilmentId}-{step.ToString().ToLowerInvariant()}", step);
                if (!await Step(order.OrderId, f, report))
                {
                    break;
                }
            }
        }
    }

    /// <returns>Whether the fulfilment moved, or had already taken this very report.</returns>
    private async Task<bool> Step(string orderId, FulfilmentView f, FulfilmentReport report)
    {
        var result = await grains.GetGrain<IFulfilmentGrain>(orderId).Report(f.FulfilmentId, report, null);
        if (result.Outcome is FulfilmentReportOutcome.Applied or FulfilmentReportOutcome.Replayed or FulfilmentReportOutcome.AlreadyPast)
        {
            return true;
        }

        logger.LogWarning("Demo order {OrderId}: {Fulfilment} did not take {Report}: {Outcome} {Message}",
            orderId, f.FulfilmentId, report.Type, result.Outcome, result.Message);
        return false;
    }

    private async Task<OrderView> Get(string orderId) =>
        await grains.GetGrain<IOrderGrain>(orderId).Get() ?? throw new InvalidOperationException($"Demo order {orderId} is gone.");

    /// <summary>Whether search shows every order as it now stands (its status and whether it needs attention).</summary>
    private async Task<bool> Searchable(IReadOnlyList<OrderView> orders)
    {
        var rows = (await grains.GetGrain<IOrderIndexGrain>(0).Search(new OrderQuery(OrderSearch.MaxLimit, Q: DemoOrders.IdPrefix))).Items
            .ToDictionary(r => r.OrderId, StringComparer.Ordinal);
        return orders.All(o => rows.TryGetValue(o.OrderId, out var row) && row.Status == o.Status && row.NeedsAttention == o.NeedsAttention);
    }

    /// <summary>The timelines and ledgers name the demo key whose holder would have made the call, as a request would.</summary>
    private static void As(string variable)
    {
        var key = DemoKeys.All.Single(k => k.Variable == variable);
        ActorContext.Set($"key:{key.KeyId}", key.Name);
    }
}

/// <summary>Not ready until the demo network the process was asked to serve is there, its orders searchable.</summary>
public sealed class DemoReadiness : IHealthCheck
{
    private volatile bool _seeded;

    public void Seeded() => _seeded = true;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_seeded ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("Not ready: the demo network is still being seeded."));
}
