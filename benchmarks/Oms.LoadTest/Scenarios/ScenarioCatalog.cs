namespace Oms.LoadTest.Scenarios;

/// <summary>The registered scenarios, in the order <c>--scenario all</c> runs them.</summary>
internal static class ScenarioCatalog
{
    public static readonly IReadOnlyList<string> Names = [
        "health", "availability", "hold-hot", "reserve-hot", "hold-spread", "reserve-spread", "reserve-3line", "cnc-options",
        "order-hot", "checkout-3line", "fulfilment-events",
    ];

    /// <summary>A new instance per run, because scenarios keep per-run counters.</summary>
    public static Scenario Create(string name, LoadOptions options, Network network) => name switch
    {
        "health" => new HealthScenario(),
        "availability" => new AvailabilityScenario(network),
        "hold-hot" => HoldScenario.Hot(options, viaReservations: false),
        "reserve-hot" => HoldScenario.Hot(options, viaReservations: true),
        "hold-spread" => HoldScenario.Spread(options, network, viaReservations: false),
        "reserve-spread" => HoldScenario.Spread(options, network, viaReservations: true),
        "reserve-3line" => HoldScenario.Basket(options, network),
        "cnc-options" => new ClickAndCollectOptionsScenario(network),
        "order-hot" => CheckoutScenario.Hot(options, network),
        "checkout-3line" => CheckoutScenario.ThreeLine(options, network),
        "fulfilment-events" => new FulfilmentEventsScenario(options, network),
        _ => throw new UsageException($"Unknown scenario '{name}'. Known: {string.Join(", ", Names)}, all."),
    };
}
