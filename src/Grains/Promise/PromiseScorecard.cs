using System.Text.Json;
using Oms.Contracts.Promise;

namespace Oms.Grains.Promise;

/// <summary>One delivery day's tally for one carrier service from one source.</summary>
public sealed record PromiseBucket(DateOnly DeliveredOn, string CarrierId, string ServiceId, string LocationId, PromiseTally Tally);

/// <summary>
/// Promise keeping folded from the event feed: the state of the metrics projection, and the rules for counting a
/// delivered event and answering a date range. Pure, so the fold is tested on event bodies without a cluster.
/// </summary>
public sealed class PromiseScorecard
{
    /// <summary>Days of buckets kept behind the latest delivery: a year's report and a little more.</summary>
    public const int RetentionDays = 400;

    /// <summary>The last feed position folded in.</summary>
    public long Cursor { get; set; }

    public List<PromiseBucket> Buckets { get; set; } = [];

    /// <summary>Folds one <c>fulfilment.delivered</c> CloudEvent body in; one without a judged promise counts nothing.</summary>
    /// <returns>Whether a delivery was counted.</returns>
    public bool Fold(long position, string body)
    {
        Cursor = Math.Max(Cursor, position);
        using var json = JsonDocument.Parse(body);
        if (!json.RootElement.TryGetProperty("data", out var data)
            || !data.TryGetProperty("promiseResult", out var result) || result.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("promisedDelivery", out var promise) || promise.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("fulfilment", out var fulfilment))
        {
            return false;
        }

        var judged = result.Deserialize<PromiseResult>(Events.EventJson.Options)!;
        var promised = promise.Deserialize<PromisedDelivery>(Events.EventJson.Options)!;
        var locationId = fulfilment.GetProperty("locationId").GetString()!;
        var tally = judged.Outcome switch
        {
            PromiseOutcome.Early => new PromiseTally(1, 0, 0, -judged.DaysOff, 0),
            PromiseOutcome.Late => new PromiseTally(0, 0, 1, 0, judged.DaysOff),
            _ => new PromiseTally(0, 1, 0, 0, 0),
        };
        var index = Buckets.FindIndex(b => b.DeliveredOn == judged.DeliveredOn && b.CarrierId == promised.CarrierId
            && b.ServiceId == promised.ServiceId && b.LocationId == locationId);
        if (index >= 0)
        {
            Buckets[index] = Buckets[index] with { Tally = Buckets[index].Tally.Plus(tally) };
        }
        else
        {
            Buckets.Add(new PromiseBucket(judged.DeliveredOn, promised.CarrierId, promised.ServiceId, locationId, tally));
            var horizon = judged.DeliveredOn.AddDays(-RetentionDays);
            Buckets.RemoveAll(b => b.DeliveredOn < horizon);
        }

        return true;
    }

    public PromiseMetrics Query(DateOnly from, DateOnly to)
    {
        var inRange = Buckets.Where(b => b.DeliveredOn >= from && b.DeliveredOn <= to).ToList();
        return new PromiseMetrics(
            from, to,
            inRange.Aggregate(PromiseTally.None, (sum, b) => sum.Plus(b.Tally)),
            [.. inRange.GroupBy(b => (b.CarrierId, b.ServiceId)).OrderBy(g => g.Key.CarrierId, StringComparer.Ordinal).ThenBy(g => g.Key.ServiceId, StringComparer.Ordinal)
                .Select(g => new ServicePromiseTally(g.Key.CarrierId, g.Key.ServiceId, g.Aggregate(PromiseTally.None, (sum, b) => sum.Plus(b.Tally))))],
            [.. inRange.GroupBy(b => b.LocationId).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new LocationPromiseTally(g.Key, g.Aggregate(PromiseTally.None, (sum, b) => sum.Plus(b.Tally))))],
            Cursor);
    }
}
