using System.Net.Http.Json;
using Oms.LoadTest.Engine;

namespace Oms.LoadTest.Scenarios;

/// <summary>The storefront's hot read: network availability of a SKU drawn uniformly from the whole catalogue.</summary>
internal sealed class AvailabilityScenario(Network network) : Scenario
{
    // Stock items push their figures to the availability view one-way, and each silo refreshes its copy of the
    // location profiles every few seconds, so right after seeding the view may lag a little.
    private const int ProbeAttempts = 40;
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);

    public override string Name => "availability";

    public override async Task<string?> PrepareAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        // Without a seeded catalogue every lookup would answer an empty 200 and the run would measure nothing real.
        foreach (var index in new[] { 0, network.CatalogueSize - 1 })
        {
            var sku = Network.CatalogueSku(index);
            var known = 0;
            for (var attempt = 1; attempt <= ProbeAttempts; attempt++)
            {
                using var deadline = context.Deadline(cancellationToken);
                var view = await context.Http.GetFromJsonAsync($"/api/v1/availability/{sku}", LoadJson.Default.AvailabilityResponse, deadline.Token)
                    .ConfigureAwait(false);
                known = view?.Locations.Count ?? 0;
                if (known >= network.LocationCount)
                {
                    break;
                }

                await Task.Delay(ProbeInterval, cancellationToken).ConfigureAwait(false);
            }

            if (known < network.LocationCount)
            {
                return $"skipped: catalogue not seeded: {sku} is known at {known} of {network.LocationCount} locations " +
                    $"(run with --seed --catalogue {network.CatalogueSize} --locations {network.LocationCount})";
            }
        }

        return null;
    }

    public override PlannedRequest Next(long sequence, Random random) =>
        new(new HttpRequestMessage(HttpMethod.Get, "/api/v1/availability/" + Network.CatalogueSku(random.Next(network.CatalogueSize))));
}
