using System.Collections.Frozen;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Contracts.Stock;

namespace Oms.Grains.Diagnostics;

/// <summary>
/// The business meters (meter <see cref="MeterName"/>): what an operator watches besides Orleans' and ASP.NET's own,
/// exported with them by OpenTelemetry.
/// </summary>
public sealed class OmsMeters
{
    public const string MeterName = "Oms";

    public OmsMeters(IMeterFactory factory)
    {
        var meter = Meter = factory.Create(MeterName);
        Holds = meter.CreateCounter<long>("oms.stock.holds", "{hold}", "Stock holds asked for at a stock item, by outcome (held, insufficient, conflict …).");
        Checkouts = meter.CreateCounter<long>("oms.checkouts", "{checkout}", "Checkouts by outcome (created, replayed, short, contended …).");
        FulfilmentRejections = meter.CreateCounter<long>("oms.fulfilment.rejections", "{fulfilment}", "Fulfilments a location rejected, by reason.");
        PromiseError = meter.CreateHistogram<int>("oms.promise.error", "d",
            "Days a delivery fell outside its promised window: negative early, positive late, 0 on time; by carrier service and outcome.");
        SourcingDecisions = meter.CreateCounter<long>("oms.sourcing.decisions", "{decision}",
            "Sourcing decisions that stood (placed, or refused as short), by outcome (single, split, short), kind of source, delivery method and trigger.");
        SlaBreaches = meter.CreateCounter<long>("oms.fulfilment.sla_breaches", "{fulfilment}",
            "Fulfilment deadlines that lapsed: a request not accepted in time, a parcel not collected in time; by deadline and mode.");
        WebhookDeliveries = meter.CreateCounter<long>("oms.webhooks.deliveries", "{attempt}",
            "Webhook delivery attempts, by outcome (delivered, retrying, deadLettered) and the receiver's HTTP status class (none when it never answered).");
        FeedLag = meter.CreateHistogram<double>("oms.events.feed_lag", "s",
            "Seconds from an event's occurrence to its append to the event feed, recorded once per event the feed stored.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FeedLagBuckets });
    }

    /// <summary>Milliseconds when the direct path works, minutes or more when the relay moves a stranded outbox.</summary>
    private static readonly double[] FeedLagBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    /// <summary>This silo's meter: a process hosting several silos (the tests do) has one per silo, all named alike.</summary>
    public Meter Meter { get; }

    public Counter<long> Holds { get; }

    public Counter<long> Checkouts { get; }

    public Counter<long> FulfilmentRejections { get; }

    public Histogram<int> PromiseError { get; }

    public Counter<long> SourcingDecisions { get; }

    public Counter<long> SlaBreaches { get; }

    public Counter<long> WebhookDeliveries { get; }

    public Histogram<double> FeedLag { get; }

    /// <summary>A plan that stood: from one location or split over several, and whether they are warehouses, boutiques or both.</summary>
    public void Sourced(SourcingTrigger trigger, DeliveryMethod method, IReadOnlyList<Fulfilment> plan, IReadOnlyDictionary<string, LocationInfo> locations)
    {
        var (warehouse, boutique) = (false, false);
        for (var i = 0; i < plan.Count; i++)
        {
            switch (locations.GetValueOrDefault(plan[i].LocationId)?.Type)
            {
                case LocationType.Warehouse:
                    warehouse = true;
                    break;
                case LocationType.Boutique:
                    boutique = true;
                    break;
            }
        }

        var source = warehouse && boutique ? "mixed" : warehouse ? Name(LocationType.Warehouse) : boutique ? Name(LocationType.Boutique) : "unknown";
        Decided(plan.Count > 1 ? SourcingOutcome.Split : SourcingOutcome.Single, source, trigger, method);
    }

    /// <summary>A plan refused because some line could not be found enough of.</summary>
    public void Short(SourcingTrigger trigger, DeliveryMethod method) => Decided(SourcingOutcome.Short, "none", trigger, method);

    private void Decided(SourcingOutcome outcome, string source, SourcingTrigger trigger, DeliveryMethod method) =>
        SourcingDecisions.Add(1, new TagList
        {
            { "outcome", Name(outcome) }, { "source", source }, { "method", Name(method) }, { "trigger", Name(trigger) },
        });

    public void Lapsed(SlaDeadline deadline, FulfilmentMode mode) =>
        SlaBreaches.Add(1, new KeyValuePair<string, object?>("deadline", Name(deadline)), new KeyValuePair<string, object?>("mode", Name(mode)));

    /// <param name="status">The receiver's HTTP status, null when it never answered.</param>
    public void Attempted(WebhookAttemptOutcome outcome, int? status) =>
        WebhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", Name(outcome)), new KeyValuePair<string, object?>("status", StatusClass(status)));

    public static string StatusClass(int? status) => status switch
    {
        null => "none",
        >= 100 and < 200 => "1xx",
        >= 200 and < 300 => "2xx",
        >= 300 and < 400 => "3xx",
        >= 400 and < 500 => "4xx",
        >= 500 and < 600 => "5xx",
        _ => "other",
    };

    /// <summary>An enum value as the API writes it (camelCase), computed once per value: this runs on every hold.</summary>
    public static string Name<T>(T value) where T : struct, Enum =>
        EnumNames<T>.Map.TryGetValue(value, out var name) ? name : JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    private static class EnumNames<T> where T : struct, Enum
    {
        public static readonly FrozenDictionary<T, string> Map = Enum.GetValues<T>().Distinct()
            .ToFrozenDictionary(v => v, v => JsonNamingPolicy.CamelCase.ConvertName(v.ToString()));
    }
}

public enum SourcingOutcome
{
    /// <summary>Every line from one location.</summary>
    Single,
    /// <summary>Over more than one location (more than one shipment or transfer).</summary>
    Split,
    /// <summary>Some line could not be found enough of; nothing was allocated.</summary>
    Short,
}

/// <summary>What asked for the plan: a checkout, or the fulfilment sourcing units again after a rejection or timeout.</summary>
public enum SourcingTrigger { Checkout, Resource }

/// <summary>Which fulfilment deadline lapsed.</summary>
public enum SlaDeadline
{
    /// <summary>A request the location did not accept by its accept-by time.</summary>
    Accept,
    /// <summary>A parcel ready for pickup that was not collected by its collect-by time.</summary>
    Collect,
}

/// <summary>Where one webhook attempt left its delivery.</summary>
public enum WebhookAttemptOutcome
{
    Delivered,
    /// <summary>Failed; another attempt is scheduled.</summary>
    Retrying,
    /// <summary>Failed for the last time the retry schedule allows.</summary>
    DeadLettered,
}

/// <summary>
/// Counts what the grain calls that carry the business answer: the result each returns says what happened, so the
/// meters need no line in the grains and cannot disagree with what a caller was told. A replayed report or a failed
/// call counts nothing.
/// </summary>
public sealed class BusinessMetricsFilter(OmsMeters meters) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        await context.Invoke();
        switch (context.Result)
        {
            case PlaceOrderResult placed:
                meters.Checkouts.Add(1, new KeyValuePair<string, object?>("outcome", OmsMeters.Name(placed.Outcome)));
                break;
            case HoldResult hold when context.InterfaceMethod?.Name == nameof(IStockItemGrain.PlaceHold):
                meters.Holds.Add(1, new KeyValuePair<string, object?>("outcome", OmsMeters.Name(hold.Outcome)));
                break;
            case FulfilmentReportResult { Outcome: FulfilmentReportOutcome.Applied, Fulfilment: { } fulfilment }
                when context.Request.GetArgument(1) is FulfilmentReport report:
                if (report.Type == FulfilmentReportType.Delivered && fulfilment is { PromisedDelivery: { } promised, PromiseResult: { } judged })
                {
                    meters.PromiseError.Record(judged.DaysOff,
                        new("carrier", promised.CarrierId), new("service", promised.ServiceId), new("outcome", OmsMeters.Name(judged.Outcome)));
                }
                else if (report.Type == FulfilmentReportType.Rejected && report.Reason is { } reason)
                {
                    meters.FulfilmentRejections.Add(1, new KeyValuePair<string, object?>("reason", OmsMeters.Name(reason)));
                }

                break;
        }
    }
}
