using System.Globalization;
using System.Net;
using Oms.LoadTest.Engine;
using Oms.LoadTest.Seeding;

namespace Oms.LoadTest.Scenarios;

/// <summary>
/// A three-line web checkout shipped to a home address (issue #5): the API sources, allocates all or nothing and
/// answers 201, or 409 when stock is short. Probes first, and is skipped on a server without the endpoint.
/// The three SKUs are stocked by this run at every location, so sourcing has real choices to make.
/// </summary>
internal sealed class CheckoutScenario(LoadOptions options, Network network) : Scenario
{
    private const int Lines = 3;

    // Returning customers: enough that no customer's order list is a hotspot, few enough that lists grow.
    private const int Customers = 10_000;

    // Enough distinct SKUs that three random picks rarely contend, each stocked at every location.
    private readonly int _skus = Math.Max(Lines, options.SpreadItems / Math.Max(1, network.LocationCount));

    public override string Name => "checkout-3line";

    public override async Task<string?> PrepareAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var probe = Build($"{options.RunTag}-probe", $"C-{options.RunTag}-probe", [Network.CatalogueSku(0), Network.CatalogueSku(1), Network.CatalogueSku(2)], Network.Location(0));
        if (await EndpointProbe.ProbeAsync(context, probe, cancellationToken).ConfigureAwait(false) is { } skipped)
        {
            return skipped;
        }

        var seeder = new StockSeeder(context.Http, context.Log);
        await seeder.EnsureLocationsAsync(network, cancellationToken).ConfigureAwait(false);
        var batches = Enumerable.Range(0, network.LocationCount).SelectMany(location =>
            Enumerable.Range(0, _skus).Chunk(StockSeeder.MaxItemsPerSnapshot).Select(chunk => new SnapshotBatch(
                Network.LocationId(location), [.. chunk.Select(s => new SnapshotItem(Sku(s), options.Stock ?? LoadOptions.MaxUnitsPerPosition))])));
        await seeder.SeedAsync("checkout stock", (long)_skus * network.LocationCount, batches, options.SeedParallelism, cancellationToken)
            .ConfigureAwait(false);
        return null;
    }

    public override PlannedRequest Next(long sequence, Random random)
    {
        var first = random.Next(_skus);
        // Consecutive SKUs keep the three lines distinct without a retry loop.
        var skus = Enumerable.Range(0, Lines).Select(i => Sku((first + i) % _skus)).ToArray();
        return new(Build(
            $"{options.RunTag}-co-{sequence.ToString(CultureInfo.InvariantCulture)}",
            $"C-{options.RunTag}-{random.Next(Customers).ToString(CultureInfo.InvariantCulture)}",
            skus,
            Network.Location(random.Next(network.LocationCount))));
    }

    public override Outcome Classify(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Created => Outcome.Ok,
        HttpStatusCode.Conflict => Outcome.Refused,
        _ => Outcome.Error,
    };

    private string Sku(int index) => $"CHK-{options.RunTag}-{index.ToString("00000", CultureInfo.InvariantCulture)}";

    /// <summary>The one place that knows the request shape. The order id is in the body, so no Idempotency-Key is
    /// needed, and each request is a new order.</summary>
    private static HttpRequestMessage Build(string orderId, string customerId, IReadOnlyList<string> skus, LocationBody near)
    {
        var body = new OrderBody(
            orderId,
            "web",
            new OrderCustomer(customerId),
            [.. skus.Select((sku, i) => new OrderLine((i + 1).ToString(CultureInfo.InvariantCulture), sku, 1, 100m, "EUR"))],
            new OrderDelivery("shipToHome", new OrderAddress("1 Load Test Street", "Paris", "FR", near.Latitude, near.Longitude)));
        return new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = JsonBodies.Create(body, LoadJson.Default.OrderBody) };
    }
}
