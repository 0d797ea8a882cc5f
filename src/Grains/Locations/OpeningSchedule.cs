using Oms.Contracts.Locations;

namespace Oms.Grains.Locations;

/// <summary>
/// When a shop is open, in its own time zone, and so when an order prepared there can be ready.
/// Pure: the clock is an argument, so DST changes and exception days are tested at fixed instants.
/// </summary>
public sealed class OpeningSchedule
{
    /// <summary>How far ahead to look for an opening before calling a shop closed for good.</summary>
    private const int HorizonDays = 21;

    private static readonly IReadOnlyList<TimeRange> AllDay = [new TimeRange(0, 1440)];

    private readonly TimeZoneInfo _zone;
    private readonly Dictionary<DayOfWeek, IReadOnlyList<TimeRange>>? _weekly;
    private readonly Dictionary<DateOnly, IReadOnlyList<TimeRange>> _exceptions;

    public TimeZoneInfo Zone => _zone;

    public OpeningSchedule(TimeZoneInfo zone, IReadOnlyList<DayHours>? weekly, IReadOnlyList<OpeningException>? exceptions)
    {
        _zone = zone;
        _weekly = weekly?.ToDictionary(d => d.Day, d => d.Ranges);
        _exceptions = (exceptions ?? []).ToDictionary(e => e.Date, e => e.Closed ? [] : e.Hours ?? AllDay);
    }

    public static OpeningSchedule For(LocationInfo location) =>
        new(ResolveZone(location.TimeZone), location.OpeningHours, location.OpeningExceptions);

    /// <summary>An unknown or missing zone falls back to UTC rather than failing a lookup; the API refuses
    /// unknown zones on the way in, so this only covers profiles stored before they were required.</summary>
    public static TimeZoneInfo ResolveZone(string? id) =>
        id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>
    /// The earliest instant at or after <paramref name="from"/> + <paramref name="preparation"/> at which the work
    /// fits inside one opening: preparation happens while the shop is open, and never runs over a closing.
    /// </summary>
    /// <returns>Expressed in the shop's own offset, or null when it does not open within three weeks.</returns>
    public DateTimeOffset? ReadyBy(DateTimeOffset from, TimeSpan preparation)
    {
        var firstDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, _zone).DateTime);
        for (var d = 0; d < HorizonDays; d++)
        {
            var day = firstDay.AddDays(d);
            foreach (var range in RangesOn(day))
            {
                var opens = ToInstant(day, range.OpenMinute);
                var closes = ToInstant(day, range.CloseMinute);
                var start = CeilingToMinute(opens > from ? opens : from);
                if (start + preparation <= closes)
                {
                    return TimeZoneInfo.ConvertTime(start + preparation, _zone);
                }
            }
        }

        return null;
    }

    /// <summary>A promise to a customer is made in whole minutes, and never earlier than the work allows.</summary>
    private static DateTimeOffset CeilingToMinute(DateTimeOffset instant)
    {
        var remainder = instant.Ticks % TimeSpan.TicksPerMinute;
        return remainder == 0 ? instant : instant.AddTicks(TimeSpan.TicksPerMinute - remainder);
    }

    /// <summary>Today, in the shop's own calendar.</summary>
    public DateOnly LocalDate(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, _zone).DateTime);

    /// <summary>The location works on <paramref name="day"/>: it opens at all, by its week or an exception.</summary>
    public bool OpensOn(DateOnly day) => RangesOn(day).Count > 0;

    /// <summary>The minute of <paramref name="day"/> the location last closes, or null on a closed day.</summary>
    public int? LastClose(DateOnly day) => RangesOn(day) is { Count: > 0 } ranges ? ranges[^1].CloseMinute : null;

    private IReadOnlyList<TimeRange> RangesOn(DateOnly day)
    {
        if (_exceptions.TryGetValue(day, out var special))
        {
            return special;
        }

        if (_weekly is null)
        {
            return AllDay;
        }

        return _weekly.TryGetValue(day.DayOfWeek, out var ranges) ? ranges : [];
    }

    /// <summary>
    /// Local wall-clock time to an instant. A time skipped by a spring-forward change is taken as the moment the
    /// clocks jump to; a repeated autumn hour as its first occurrence.
    /// </summary>
    public DateTimeOffset ToInstant(DateOnly day, int minute)
    {
        var local = day.ToDateTime(TimeOnly.MinValue).AddMinutes(minute);
        while (_zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        var offset = _zone.IsAmbiguousTime(local) ? _zone.GetAmbiguousTimeOffsets(local).Max() : _zone.GetUtcOffset(local);
        return new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), offset);
    }
}
