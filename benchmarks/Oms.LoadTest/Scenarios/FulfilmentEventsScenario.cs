using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Oms.LoadTest.Engine;
using Oms.LoadTest.Seeding;

namespace Oms.LoadTest.Scenarios;

/// <summary>
/// What a warehouse reports through <c>POST /api/v1/orders/{id}/fulfilments/{fid}/events</c>:
/// <c>accepted</c>, then <c>shipped</c>, on the one fulfilment of orders this
/// run places first. The measured requests carry an integration key, as a WMS's would. Every event has its own
/// eventId, so every 200 is one report the OMS took; the run ends when every order has had both, like --requests.
/// </summary>
internal sealed class FulfilmentEventsScenario(LoadOptions options, Network network) : Scenario
{
    // SKUs the orders are spread over, all at one location, so that each order has one fulfilment there and the
    // order placement during preparation does not contend on a few stock items.
    private const int Skus = 1_000;

    private Placed[] _orders = [];

    // Orders are reported on in blocks: accepted for a whole block, then shipped for the same block. With at most
    // --connections requests in flight, an order's accept has long been answered when its ship is sent, as with a
    // warehouse that ships what it accepted a while ago.
    private int _block = 1;

    public override string Name => "fulfilment-events";

    public override string TrafficRole => "integration";

    public override long? RequestLimit => 2L * _orders.Length;

    public override async Task<string?> PrepareAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var seeder = new StockSeeder(context.Http, context.Log);
        await seeder.EnsureLocationsAsync(network, cancellationToken).ConfigureAwait(false);
        var at = Network.LocationId(0);
        await seeder.SeedAsync("fulfilment order stock", Skus,
            [new SnapshotBatch(at, [.. Enumerable.Range(0, Skus).Select(s => new SnapshotItem(Sku(s), options.Stock ?? LoadOptions.MaxUnitsPerPosition))])],
            1, cancellationToken).ConfigureAwait(false);

        var clock = Stopwatch.StartNew();
        var placed = new Placed?[options.Orders];
        long refused = 0, failed = 0, missing = 0;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, options.Orders),
            new ParallelOptions { MaxDegreeOfParallelism = options.ConcurrencyCap, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var random = new Random(HashCode.Combine(options.RandomSeed, i));
                var orderId = CheckoutScenario.OrderId(options, "fe", i);
                using var request = CheckoutScenario.Build(orderId, CheckoutScenario.Customer(options, random), [Sku(i % Skus)], Network.Location(0));
                using var deadline = context.Deadline(ct);
                try
                {
                    using var response = await context.Http.SendAsync(request, deadline.Token).ConfigureAwait(false);
                    if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
                    {
                        Interlocked.Increment(ref missing);
                    }
                    else if (response.StatusCode != HttpStatusCode.Created)
                    {
                        Interlocked.Increment(ref response.StatusCode == HttpStatusCode.Conflict ? ref refused : ref failed);
                    }
                    else if ((await response.Content.ReadFromJsonAsync(LoadJson.Default.PlacedOrderResponse, deadline.Token).ConfigureAwait(false))
                        ?.Fulfilments is [{ } first, ..])
                    {
                        placed[i] = new Placed(orderId, first.FulfilmentId);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or JsonException
                    || (ex is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    Interlocked.Increment(ref failed);
                }
            }).ConfigureAwait(false);

        _orders = [.. placed.OfType<Placed>()];
        context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"placed {_orders.Length:N0} of {options.Orders:N0} orders to report on in {clock.Elapsed.TotalSeconds:0.0} s " +
            $"({_orders.Length / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0}/s); {refused} refused, {failed} failed"));
        if (missing > 0 && _orders.Length == 0)
        {
            return $"{EndpointProbe.NotAvailable}: POST /api/v1/orders answered 404";
        }

        if (_orders.Length == 0)
        {
            return "skipped: no order could be placed to report on";
        }

        // Whole blocks only, so that every order gets both of its events.
        _block = Math.Min(_orders.Length, Math.Max(256, 4 * options.ConcurrencyCap));
        _orders = _orders[..(_orders.Length / _block * _block)];
        return null;
    }

    public override PlannedRequest Next(long sequence, Random random)
    {
        var round = sequence / (2 * _block);
        var within = (int)(sequence % (2 * _block));
        var order = _orders[(round * _block) + (within % _block)];
        var body = new FulfilmentEventBody($"{options.RunTag}-fe-{sequence.ToString(CultureInfo.InvariantCulture)}", within < _block ? "accepted" : "shipped");
        return new(new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{order.OrderId}/fulfilments/{order.FulfilmentId}/events")
        {
            Content = JsonBodies.Create(body, LoadJson.Default.FulfilmentEventBody),
        });
    }

    /// <summary>409 is the fulfilment refusing the step (it cannot take it from where it is): an answer, not a failure.</summary>
    public override Outcome Classify(HttpStatusCode status) => status switch
    {
        HttpStatusCode.OK => Outcome.Ok,
        HttpStatusCode.Conflict => Outcome.Refused,
        _ => Outcome.Error,
    };

    private string Sku(int index) => $"FUL-{options.RunTag}-{index.ToString("0000", CultureInfo.InvariantCulture)}";

    private sealed record Placed(string OrderId, string FulfilmentId);
}
