using System.Diagnostics.Metrics;
using System.Text.Json;
using Oms.Contracts.Fulfilments;
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
    }

    /// <summary>This silo's meter: a process hosting several silos (the tests do) has one per silo, all named alike.</summary>
    public Meter Meter { get; }

    public Counter<long> Holds { get; }

    public Counter<long> Checkouts { get; }

    public Counter<long> FulfilmentRejections { get; }

    public Histogram<int> PromiseError { get; }

    public static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());
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
