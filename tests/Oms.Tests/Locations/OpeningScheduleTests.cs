using Oms.Contracts.Locations;
using Oms.Grains.Locations;

namespace Oms.Tests.Locations;

public sealed class OpeningScheduleTests
{
    private static readonly TimeSpan HalfHour = TimeSpan.FromMinutes(30);

    private static IReadOnlyList<DayHours> MondayToSaturday(int open, int close) =>
        [.. Enum.GetValues<DayOfWeek>().Select(d => new DayHours(d, d == DayOfWeek.Sunday ? [] : [new TimeRange(open * 60, close * 60)]))];

    private static OpeningSchedule Paris(IReadOnlyList<OpeningException>? exceptions = null) =>
        new(TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris"), MondayToSaturday(10, 19), exceptions);

    // 2026-11-23 is a Monday; Paris is UTC+1 in November.
    [Theory]
    [InlineData("2026-11-23T09:00:00+01:00", "2026-11-23T10:30:00+01:00")] // before opening: opening plus preparation
    [InlineData("2026-11-23T12:00:00+01:00", "2026-11-23T12:30:00+01:00")] // open: now plus preparation
    [InlineData("2026-11-23T18:30:00+01:00", "2026-11-23T19:00:00+01:00")] // fits exactly before closing
    [InlineData("2026-11-23T18:45:00+01:00", "2026-11-24T10:30:00+01:00")] // would run past closing: next morning
    [InlineData("2026-11-28T18:50:00+01:00", "2026-11-30T10:30:00+01:00")] // Saturday evening: Sunday closed, so Monday
    public void Ready_by_respects_hours_and_preparation(string now, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected), Paris().ReadyBy(DateTimeOffset.Parse(now), HalfHour));
    }

    [Fact]
    public void Ready_by_is_expressed_in_the_shops_own_offset()
    {
        var ready = Paris().ReadyBy(DateTimeOffset.Parse("2026-11-23T08:00:00Z"), HalfHour)!.Value;

        Assert.Equal(TimeSpan.FromHours(1), ready.Offset);
        Assert.Equal(new DateTime(2026, 11, 23, 10, 30, 0), ready.DateTime);
    }

    [Fact]
    public void An_exception_day_closes_the_shop_or_shortens_its_hours()
    {
        var schedule = Paris([
            new OpeningException(new DateOnly(2026, 12, 24), false, [new TimeRange(10 * 60, 16 * 60)]),
            new OpeningException(new DateOnly(2026, 12, 25), true, null),
        ]);

        // Christmas Eve closes at 16:00, Christmas Day is closed, so the 26th (a Saturday) it is.
        Assert.Equal(DateTimeOffset.Parse("2026-12-24T15:30:00+01:00"), schedule.ReadyBy(DateTimeOffset.Parse("2026-12-24T15:00:00+01:00"), HalfHour));
        Assert.Equal(DateTimeOffset.Parse("2026-12-26T10:30:00+01:00"), schedule.ReadyBy(DateTimeOffset.Parse("2026-12-24T15:45:00+01:00"), HalfHour));
    }

    [Fact]
    public void A_shop_in_another_zone_answers_in_its_own_calendar()
    {
        var tokyo = new OpeningSchedule(TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"),
            [.. Enum.GetValues<DayOfWeek>().Select(d => new DayHours(d, [new TimeRange(11 * 60, 20 * 60)]))], null);

        // 12:00 UTC is 21:00 in Tokyo: closed until 11:00 the next (Tokyo) day.
        var ready = tokyo.ReadyBy(DateTimeOffset.Parse("2026-11-26T12:00:00Z"), HalfHour)!.Value;

        Assert.Equal(DateTimeOffset.Parse("2026-11-27T11:30:00+09:00"), ready);
        Assert.Equal(new DateOnly(2026, 11, 27), tokyo.LocalDate(ready));
    }

    [Fact]
    public void Preparation_across_the_spring_forward_change_loses_the_skipped_hour()
    {
        // Paris, 28 March 2027: clocks jump from 02:00 to 03:00. A shop open through the night.
        var schedule = new OpeningSchedule(TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris"), null, null);

        var ready = schedule.ReadyBy(DateTimeOffset.Parse("2027-03-28T01:50:00+01:00"), HalfHour)!.Value;

        Assert.Equal(DateTimeOffset.Parse("2027-03-28T03:20:00+02:00"), ready);
        Assert.Equal(TimeSpan.FromHours(2), ready.Offset);
    }

    [Fact]
    public void An_opening_time_inside_the_skipped_hour_starts_when_the_clocks_land()
    {
        var schedule = new OpeningSchedule(TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris"),
            [.. Enum.GetValues<DayOfWeek>().Select(d => new DayHours(d, [new TimeRange(2 * 60 + 30, 12 * 60)]))], null);

        Assert.Equal(DateTimeOffset.Parse("2027-03-28T03:30:00+02:00"), schedule.ReadyBy(DateTimeOffset.Parse("2027-03-28T00:00:00+01:00"), HalfHour));
    }

    [Fact]
    public void Preparation_across_the_autumn_change_counts_the_repeated_hour()
    {
        // Paris, 25 October 2026: 03:00 summer time becomes 02:00 winter time.
        var schedule = new OpeningSchedule(TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris"), null, null);

        var ready = schedule.ReadyBy(DateTimeOffset.Parse("2026-10-25T02:30:00+02:00"), TimeSpan.FromHours(1))!.Value;

        Assert.Equal(DateTimeOffset.Parse("2026-10-25T02:30:00+01:00"), ready);
    }

    [Fact]
    public void A_shop_that_never_opens_has_no_ready_time()
    {
        var closed = new OpeningSchedule(TimeZoneInfo.Utc, [], null);

        Assert.Null(closed.ReadyBy(DateTimeOffset.Parse("2026-11-23T09:00:00Z"), HalfHour));
    }

    [Fact]
    public void Without_hours_a_shop_is_always_open()
    {
        var always = new OpeningSchedule(TimeZoneInfo.Utc, null, null);

        Assert.Equal(DateTimeOffset.Parse("2026-11-23T03:30:00Z"), always.ReadyBy(DateTimeOffset.Parse("2026-11-23T03:00:00Z"), HalfHour));
    }
}

public sealed class ShipCapacityTests
{
    private static readonly DateOnly Monday = new(2026, 11, 23);

    [Fact]
    public void Capacity_is_per_local_day_and_idempotent_per_order()
    {
        var capacity = new ShipCapacity();

        Assert.True(capacity.TryAssign("O1", Monday, 2));
        Assert.True(capacity.TryAssign("O1", Monday, 2));
        Assert.True(capacity.TryAssign("O2", Monday, 2));
        Assert.False(capacity.TryAssign("O3", Monday, 2));
        Assert.Equal(2, capacity.Used(Monday));

        Assert.True(capacity.Release("O1", Monday));
        Assert.True(capacity.TryAssign("O3", Monday, 2));

        Assert.Equal(0, capacity.Used(Monday.AddDays(1)));
        Assert.True(capacity.TryAssign("O4", Monday.AddDays(1), 2));
        Assert.Equal(1, capacity.Used(Monday.AddDays(1)));
    }

    [Fact]
    public void Without_a_capacity_there_is_no_limit()
    {
        var capacity = new ShipCapacity();

        Assert.All(Enumerable.Range(0, 100), i => Assert.True(capacity.TryAssign($"O{i}", Monday, null)));
    }
}

public sealed class ReadyByRoundingTests
{
    [Fact]
    public void A_ready_time_is_promised_in_whole_minutes_rounded_up()
    {
        var always = new OpeningSchedule(TimeZoneInfo.Utc, null, null);

        Assert.Equal(DateTimeOffset.Parse("2026-11-23T03:31:00Z"), always.ReadyBy(DateTimeOffset.Parse("2026-11-23T03:00:00.5Z"), TimeSpan.FromMinutes(30)));
    }
}
