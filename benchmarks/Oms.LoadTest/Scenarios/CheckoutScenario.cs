using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Oms.LoadTest.Engine;
using Oms.LoadTest.Seeding;

namespace Oms.LoadTest.Scenarios;

/// <summary>
/// Web checkouts shipped to a home address (issue #5): the API sources, allocates all or nothing and answers 201,
/// or 409 when stock is short. Probes first, and is skipped on a server without the endpoint. Each request is a
/// new order (its id is in the body), so every 201 is one order placed.
/// <list type="bullet">
/// <item>checkout-3line: three consecutive SKUs of the seeded catalogue (--catalogue, 10,000 in run-load.sh), which
/// is stocked at every location, so sourcing has real choices to make; skipped on an unseeded catalogue.</item>
/// <item>order-hot: one line of one SKU this run stocks at one location only, the flash-sale drop as an order.</item>
/// </list>
/// </summary>
internal sealed class CheckoutScenario : Scenario
{
    // Returning customers: enough that no customer's order list is a hotspot, few enough that lists grow.
    private const int Customers = 10_000;

    private readonly LoadOptions _options;
    private readonly Network _network;
    private readonly int _lines;
    private readonly string? _hotSku;

    // order-hot's orders answered 201 and 409, warm-up included, to check against its one position.
    private long _placed;
    private long _refused;

    // In every order id, so that scenarios of one tool run (one run tag) never reuse each other's ids.
    private readonly string _code;

    private CheckoutScenario(string name, string code, LoadOptions options, Network network, int lines, string? hotSku)
    {
        Name = name;
        _code = code;
        _options = options;
        _network = network;
        _lines = lines;
        _hotSku = hotSku;
    }

    public override string Name { get; }

    public static CheckoutScenario ThreeLine(LoadOptions options, Network network) => new("checkout-3line", "co", options, network, 3, null);

    public static CheckoutScenario Hot(LoadOptions options, Network network) => new("order-hot", "oh", options, network, 1, $"HOTO-{options.RunTag}");

    public override async Task<string?> PrepareAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        if (_hotSku is null)
        {
            // Orders over an unseeded catalogue would all be refused, and the run would measure 409s.
            if (await new AvailabilityScenario(_network).PrepareAsync(context, cancellationToken).ConfigureAwait(false) is { } notSeeded)
            {
                return notSeeded;
            }

            return await EndpointProbe.ProbeAsync(context, Build(OrderId(_options, _code + "probe", 0), $"C-{_options.RunTag}-probe",
                [.. Enumerable.Range(0, _lines).Select(Network.CatalogueSku)], Network.Location(0)), cancellationToken).ConfigureAwait(false);
        }

        var seeder = new StockSeeder(context.Http, context.Log);
        await seeder.EnsureLocationsAsync(_network, cancellationToken).ConfigureAwait(false);
        // Probed before it is stocked: a 409 for want of stock still shows that the endpoint exists.
        if (await EndpointProbe.ProbeAsync(context, Build(OrderId(_options, _code + "probe", 0), $"C-{_options.RunTag}-probe", [_hotSku], Network.Location(0)), cancellationToken)
            .ConfigureAwait(false) is { } skipped)
        {
            return skipped;
        }

        await seeder.SeedAsync("hot order stock", 1,
            [new SnapshotBatch(Network.LocationId(0), [new SnapshotItem(_hotSku, _options.Stock ?? LoadOptions.MaxUnitsPerPosition)])],
            1, cancellationToken).ConfigureAwait(false);
        return null;
    }

    public override PlannedRequest Next(long sequence, Random random)
    {
        string[] skus;
        if (_hotSku is not null)
        {
            skus = [_hotSku];
        }
        else
        {
            var first = random.Next(_network.CatalogueSize);
            // Consecutive SKUs keep the lines distinct without a retry loop.
            skus = [.. Enumerable.Range(0, _lines).Select(i => Network.CatalogueSku((first + i) % _network.CatalogueSize))];
        }

        return new(Build(OrderId(_options, _code, sequence), Customer(_options, random), skus, Network.Location(random.Next(_network.LocationCount))));
    }

    public override Outcome Classify(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Created => Outcome.Ok,
        HttpStatusCode.Conflict => Outcome.Refused,
        _ => Outcome.Error,
    };

    public override void Acknowledge(in PlannedRequest request, HttpStatusCode status)
    {
        if (status == HttpStatusCode.Created)
        {
            Interlocked.Increment(ref _placed);
        }
        else if (status == HttpStatusCode.Conflict)
        {
            Interlocked.Increment(ref _refused);
        }
    }

    /// <summary>order-hot only: every order placed holds one unit of the hot position as allocated (nothing ships
    /// during the run), so the server's allocated figure must equal the 201s, and never exceed what was on hand.</summary>
    public override async Task<StockVerdict?> VerifyAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        if (_hotSku is null)
        {
            return null;
        }

        var onHand = _options.Stock ?? LoadOptions.MaxUnitsPerPosition;
        var placed = Interlocked.Read(ref _placed);
        using var deadline = context.Deadline(cancellationToken);
        var level = await context.Http.GetFromJsonAsync(
            $"/api/v1/locations/{Network.LocationId(0)}/stock/{_hotSku}", LoadJson.Default.StockLevelResponse, deadline.Token).ConfigureAwait(false);
        long? committed = level is null ? null : level.Reserved + level.Allocated;
        return new StockVerdict(1, onHand, placed, Interlocked.Read(ref _refused), Math.Max(0, placed - onHand), committed,
            level is null ? 0 : Math.Max(0, committed!.Value - Math.Max(0, level.OnHand - level.SafetyStock)), 0, 0,
            committed is { } c && c != placed ? $"server allocated {c - placed:+#;-#;0} vs orders placed (answers lost to timeouts)" : null);
    }

    public static string OrderId(LoadOptions options, string code, long sequence) =>
        $"{options.RunTag}-{code}-{sequence.ToString(CultureInfo.InvariantCulture)}";

    public static string Customer(LoadOptions options, Random random) =>
        $"C-{options.RunTag}-{random.Next(Customers).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The one place that knows the request shape: one unit of each SKU, shipped to a home near
    /// <paramref name="near"/>. The order id is in the body, so no Idempotency-Key is needed.</summary>
    public static HttpRequestMessage Build(string orderId, string customerId, IReadOnlyList<string> skus, LocationBody near)
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
