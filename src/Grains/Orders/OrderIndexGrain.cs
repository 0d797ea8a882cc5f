using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Oms.Contracts.Events;
using Oms.Contracts.Orders;
using Oms.Grains.Events;
using Orleans.Concurrency;

namespace Oms.Grains.Orders;

/// <summary>
/// Order search's projection: it follows the event feed from its checkpoint and keeps one row per order from the
/// order view every order event carries, so search is a read of those rows, never a fan-out over order grains.
/// Rows and checkpoint move together; a row is replaced only by a newer position, so a replay or a rebuild ends
/// where the feed does. One activation for the cluster, kept alive, and re-activated by every silo's keeper.
/// </summary>
[KeepAlive, Reentrant]
public sealed class OrderIndexGrain(IOrderIndexStore store, IEventStore feed, ILogger<OrderIndexGrain> logger) : Grain, IOrderIndexGrain
{
    public const int Batch = 500;

    /// <summary>One wait on the feed; the loop waits again, so this only bounds how long a stop takes.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    /// <summary>The events that carry an order; stock and availability news is most of the feed and none of this.</summary>
    private static readonly string[] OrderTypes = [.. EventTypes.All.Where(t => !t.StartsWith("stock.", StringComparison.Ordinal)
        && !t.StartsWith("availability.", StringComparison.Ordinal) && !t.StartsWith("reservation.", StringComparison.Ordinal))];

    private readonly CancellationTokenSource _stopping = new();

    /// <summary>A rebuild must not interleave with a batch being applied, or the old checkpoint would outlive it.</summary>
    private readonly SemaphoreSlim _batch = new(1, 1);

    private Task? _running;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _running = Run();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_running is { } running)
        {
            await running;
        }
    }

    public Task Keep() => Task.CompletedTask;

    public Task<OrderSearchPage> Search(OrderQuery query) => store.Search(query);

    public Task<long> Checkpoint() => store.Checkpoint();

    public async Task Rebuild()
    {
        await _batch.WaitAsync();
        try
        {
            await store.Reset();
            logger.LogInformation("Order search is rebuilding from the start of the event feed");
        }
        finally
        {
            _batch.Release();
        }
    }

    private async Task Run()
    {
        var failing = false;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                if (!await Step(_stopping.Token))
                {
                    await feed.WaitBeyond(await store.Checkpoint(_stopping.Token), Wait, _stopping.Token);
                }

                failing = false;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (!failing)
                {
                    logger.LogWarning(ex, "Order search could not follow the event feed; it retries every second");
                }

                failing = true;
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <returns>Whether the checkpoint moved.</returns>
    private async Task<bool> Step(CancellationToken cancellationToken)
    {
        await _batch.WaitAsync(cancellationToken);
        try
        {
            var after = await store.Checkpoint(cancellationToken);

            // A filtered page that is not full has seen everything up to the head read before it: skip there.
            var head = await feed.Head(cancellationToken);
            var events = await feed.Read(after, Batch, OrderTypes, cancellationToken);
            var next = events.Count == Batch ? events[^1].Position : Math.Max(Math.Max(after, head), events.Count > 0 ? events[^1].Position : 0);
            if (next <= after)
            {
                return false;
            }

            await store.Apply(Rows(events), next, cancellationToken);
            return true;
        }
        finally
        {
            _batch.Release();
        }
    }

    private List<OrderSummary> Rows(IReadOnlyList<FeedEvent> events)
    {
        var rows = new List<OrderSummary>(events.Count);
        foreach (var e in events.Where(e => e.Subject.StartsWith("orders/", StringComparison.Ordinal)))
        {
            try
            {
                if (Order(e) is { } order)
                {
                    rows.Add(OrderSearch.Project(order, e.Position, e.Time));
                }
            }
            catch (JsonException ex)
            {
                // One unreadable event must not stop search for every order after it.
                logger.LogError(ex, "Order search skipped event {EventId} at {Position}: its order could not be read", e.EventId, e.Position);
            }
        }

        return rows;
    }

    /// <summary>
    /// The order view inside the event's CloudEvents envelope, read straight from one parse of the body: the index
    /// reads every order event of the feed, and decoding the whole envelope first cost it three parses of each.
    /// </summary>
    private static OrderView? Order(FeedEvent e)
    {
        using var body = JsonDocument.Parse(e.Body);
        if (!body.RootElement.TryGetProperty("data", out var data))
        {
            return null;
        }

        if (data.ValueKind == JsonValueKind.String)
        {
            using var text = JsonDocument.Parse(data.GetString()!);
            return OrderIn(text.RootElement);
        }

        return OrderIn(data);
    }

    private static OrderView? OrderIn(JsonElement data) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty("order", out var order) && order.ValueKind == JsonValueKind.Object
            ? order.Deserialize<OrderView>(EventJson.Options)
            : null;
}

/// <summary>Every silo wakes the order search projection now and then, so it runs again soon after its silo died.</summary>
public sealed class OrderIndexKeeper(IGrainFactory grains, ILogger<OrderIndexKeeper> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                await grains.GetGrain<IOrderIndexGrain>(0).Keep();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug(ex, "Could not wake order search; the next tick retries");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
