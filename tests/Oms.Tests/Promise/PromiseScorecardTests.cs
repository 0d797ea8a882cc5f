using System.Text.Json;
using Oms.Contracts.Promise;
using Oms.Grains.Promise;

namespace Oms.Tests.Promise;

/// <summary>The metrics projection's fold, on event bodies as the feed stores them.</summary>
public sealed class PromiseScorecardTests
{
    private static string Delivered(string location, string carrier, string service, PromiseOutcome outcome, int daysOff, string on = "2026-12-03") =>
        JsonSerializer.Serialize(new
        {
            type = "fulfilment.delivered",
            data = new
            {
                orderId = "O1",
                fulfilment = new { fulfilmentId = "F1", locationId = location },
                promisedDelivery = new { carrierId = carrier, serviceId = service, earliestDelivery = "2026-12-02", latestDelivery = "2026-12-03" },
                promiseResult = new { deliveredOn = on, outcome = JsonNamingPolicy.CamelCase.ConvertName(outcome.ToString()), daysOff },
            },
        });

    [Fact]
    public void Deliveries_fold_into_shares_per_service_and_per_location_over_the_range()
    {
        var card = new PromiseScorecard();
        Assert.True(card.Fold(1, Delivered("WH-1", "DHL", "express", PromiseOutcome.OnTime, 0)));
        Assert.True(card.Fold(2, Delivered("WH-1", "DHL", "express", PromiseOutcome.Late, 2)));
        Assert.True(card.Fold(3, Delivered("BQ-1", "DHL", "standard", PromiseOutcome.Early, -1)));
        Assert.True(card.Fold(4, Delivered("BQ-1", "DHL", "standard", PromiseOutcome.OnTime, 0, on: "2026-11-01")));

        var m = card.Query(new DateOnly(2026, 12, 1), new DateOnly(2026, 12, 31));
        Assert.Equal(new PromiseTally(1, 1, 1, 1, 2), m.Total);
        Assert.Equal(4, m.Position);
        Assert.Equal(["express", "standard"], m.ByService.Select(s => s.ServiceId));
        Assert.Equal(new PromiseTally(0, 1, 1, 0, 2), m.ByService[0].Tally);
        Assert.Equal(["BQ-1", "WH-1"], m.ByLocation.Select(l => l.LocationId));
        Assert.Equal(1, m.ByLocation[0].Tally.Delivered);
    }

    [Fact]
    public void A_delivery_without_a_promise_counts_nothing_but_moves_the_cursor()
    {
        var card = new PromiseScorecard();
        Assert.False(card.Fold(7, """{"type":"fulfilment.delivered","data":{"orderId":"O1","fulfilment":{"locationId":"WH-1"},"promisedDelivery":null,"promiseResult":null}}"""));
        Assert.Equal(7, card.Cursor);
        Assert.Equal(0, card.Query(DateOnly.MinValue, DateOnly.MaxValue).Total.Delivered);
    }

    [Fact]
    public void Buckets_older_than_the_retention_behind_the_latest_delivery_are_dropped()
    {
        var card = new PromiseScorecard();
        card.Fold(1, Delivered("WH-1", "DHL", "express", PromiseOutcome.OnTime, 0, on: "2025-01-01"));
        card.Fold(2, Delivered("WH-1", "DHL", "express", PromiseOutcome.OnTime, 0, on: "2026-12-03"));
        Assert.Single(card.Buckets);
    }

    [Theory]
    [InlineData("2026-12-01", PromiseOutcome.Early, -1)]
    [InlineData("2026-12-02", PromiseOutcome.OnTime, 0)]
    [InlineData("2026-12-03", PromiseOutcome.OnTime, 0)]
    [InlineData("2026-12-05", PromiseOutcome.Late, 2)]
    public void A_delivery_is_judged_against_the_window_inclusive(string on, PromiseOutcome outcome, int daysOff)
    {
        var promise = new PromisedDelivery("DHL", "express", new DateOnly(2026, 12, 2), new DateOnly(2026, 12, 3), new DateOnly(2026, 12, 1),
            DateTimeOffset.Parse("2026-12-01T15:00:00+01:00"), DateTimeOffset.Parse("2026-12-01T10:00:00+01:00"), "Europe/Paris");
        var result = DeliveryPromiser.Judge(promise, DateOnly.Parse(on));
        Assert.Equal((outcome, daysOff), (result.Outcome, result.DaysOff));
    }
}
