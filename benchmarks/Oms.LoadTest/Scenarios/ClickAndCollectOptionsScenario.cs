using System.Globalization;
using Oms.LoadTest.Engine;

namespace Oms.LoadTest.Scenarios;

/// <summary>
/// "Can I pick this up near me?" from a product page (issue #4): one catalogue SKU, a shopper somewhere near
/// one of the seeded locations. Probes first, and is skipped on a server without the endpoint.
/// </summary>
internal sealed class ClickAndCollectOptionsScenario(Network network) : Scenario
{
    private const double RadiusKm = 50;
    private const int Limit = 10;

    public override string Name => "cnc-options";

    public override async Task<string?> PrepareAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        // The options are computed over catalogue stock, so an unseeded catalogue would measure empty answers.
        var availability = new AvailabilityScenario(network);
        if (await availability.PrepareAsync(context, cancellationToken).ConfigureAwait(false) is { } notSeeded)
        {
            return notSeeded;
        }

        var near = Network.Location(Math.Min(1, network.LocationCount - 1));
        return await EndpointProbe.ProbeAsync(context, Build(0, near.Latitude, near.Longitude), cancellationToken).ConfigureAwait(false);
    }

    public override PlannedRequest Next(long sequence, Random random)
    {
        // Shoppers within about 20 km of a seeded location, so a 50 km search usually finds boutiques to rank.
        var near = Network.Location(random.Next(network.LocationCount));
        return new(Build(
            random.Next(network.CatalogueSize),
            near.Latitude + ((random.NextDouble() - 0.5) * 0.3),
            near.Longitude + ((random.NextDouble() - 0.5) * 0.3)));
    }

    /// <summary>The one place that knows the request shape.</summary>
    private static HttpRequestMessage Build(int skuIndex, double latitude, double longitude) =>
        new(HttpMethod.Get, string.Create(CultureInfo.InvariantCulture,
            $"/api/v1/click-and-collect/options?sku={Network.CatalogueSku(skuIndex)}&quantity=1&lat={latitude:0.#####}&lon={longitude:0.#####}&radiusKm={RadiusKm}&limit={Limit}"));
}
