using System.Globalization;
using Oms.Contracts;
using Oms.Contracts.Locations;
using Oms.Contracts.Promise;
using Oms.Grains;

namespace Oms.Api.Locations;

public sealed record AddressDto(string Line1, string City, string? Line2 = null, string? PostalCode = null, string? Region = null);

public sealed record HoursDto(string Open, string Close);

public sealed record OpeningExceptionDto(string Date, bool Closed = false, IReadOnlyList<HoursDto>? Hours = null);

public sealed record OnlineSafetyStockDto(int Default = 0, IReadOnlyDictionary<string, int>? Skus = null);

/// <summary>The location profile as clients send and read it; days are named, times are "HH:mm" local.</summary>
public sealed record LocationRequest(
    string Name,
    LocationType Type,
    double Latitude,
    double Longitude,
    string? CountryCode = null,
    string? TimeZone = null,
    AddressDto? Address = null,
    IReadOnlyList<LocationCapability>? Capabilities = null,
    LocationStatus Status = LocationStatus.Active,
    int Priority = 0,
    int? DailyShipCapacity = null,
    int PickupPreparationMinutes = 0,
    IReadOnlyDictionary<string, IReadOnlyList<HoursDto>>? OpeningHours = null,
    IReadOnlyList<OpeningExceptionDto>? OpeningExceptions = null,
    OnlineSafetyStockDto? OnlineSafetyStock = null,
    int LowStockThreshold = 0,
    int? AcceptWithinMinutes = null,
    int? HoldForPickupDays = null,
    string? OrderCutoff = null,
    int? ProcessingDays = null,
    IReadOnlyList<CarrierServiceRefDto>? CarrierServices = null);

/// <summary>A carrier service a location ships with.</summary>
public sealed record CarrierServiceRefDto(string CarrierId, string ServiceId);

public sealed record LocationView(
    string LocationId,
    string Name,
    LocationType Type,
    double Latitude,
    double Longitude,
    string? CountryCode,
    string? TimeZone,
    AddressDto? Address,
    IReadOnlyList<LocationCapability> Capabilities,
    LocationStatus Status,
    int Priority,
    int? DailyShipCapacity,
    int PickupPreparationMinutes,
    IReadOnlyDictionary<string, IReadOnlyList<HoursDto>>? OpeningHours,
    IReadOnlyList<OpeningExceptionDto> OpeningExceptions,
    OnlineSafetyStockDto OnlineSafetyStock,
    int LowStockThreshold,
    int AcceptWithinMinutes,
    int HoldForPickupDays,
    string? OrderCutoff,
    int ProcessingDays,
    IReadOnlyList<CarrierServiceRefDto> CarrierServices);

/// <summary>Validation and mapping between the HTTP shape of a profile and the stored one.</summary>
public static class LocationProfile
{
    public const int MaxNameLength = 200;
    public const int MaxTextLength = 200;
    public const int MaxExceptions = 366;
    public const int MaxRangesPerDay = 4;
    public const int MaxBufferSkus = 10_000;
    public const int MaxAcceptWithinMinutes = 7 * 24 * 60;
    public const int MaxHoldForPickupDays = 60;
    public const int MaxProcessingDays = 30;
    public const int MaxCarrierServices = 50;

    internal static readonly string[] DayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

    public static FieldError? Validate(LocationRequest request)
    {
        if (FieldError.ForText("name", request.Name, MaxNameLength) is { } badName)
        {
            return badName;
        }

        if (!double.IsFinite(request.Latitude) || request.Latitude is < -90 or > 90)
        {
            return new("latitude", "must be between -90 and 90.");
        }

        if (!double.IsFinite(request.Longitude) || request.Longitude is < -180 or > 180)
        {
            return new("longitude", "must be between -180 and 180.");
        }

        if (request.CountryCode is not null && FieldError.ForCountryCode("countryCode", request.CountryCode) is { } badCountry)
        {
            return badCountry;
        }

        if (request.TimeZone is not null && !IsTimeZone(request.TimeZone))
        {
            return new("timeZone", "must be an IANA time zone, such as Europe/Paris.");
        }

        return ValidateAddress(request.Address)
            ?? ValidateNumbers(request)
            ?? ValidateHours(request.OpeningHours)
            ?? ValidateExceptions(request.OpeningExceptions)
            ?? ValidateBuffer(request.OnlineSafetyStock)
            ?? ValidateShipping(request);
    }

    public static LocationInfo ToInfo(string locationId, LocationRequest r) => new(
        locationId, r.Name.Trim(), r.Type, r.Latitude, r.Longitude, r.CountryCode?.ToUpperInvariant(), r.TimeZone,
        r.Address is { } a ? new Address(a.Line1, a.Line2, a.City, a.PostalCode, a.Region) : null,
        r.Capabilities?.Distinct().ToList(),
        r.Status,
        r.Priority,
        r.DailyShipCapacity,
        r.PickupPreparationMinutes,
        r.OpeningHours is null ? null : [.. DayNames.Select((name, day) => new DayHours((DayOfWeek)day,
            [.. (r.OpeningHours.FirstOrDefault(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase)).Value ?? []).Select(ToRange)]))],
        r.OpeningExceptions?.Select(e => new OpeningException(
            DateOnly.ParseExact(e.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture), e.Closed, e.Hours?.Select(ToRange).ToList())).ToList(),
        r.OnlineSafetyStock is { } b ? new OnlineSafetyStock(b.Default, b.Skus ?? new Dictionary<string, int>()) : null,
        r.LowStockThreshold,
        r.AcceptWithinMinutes,
        r.HoldForPickupDays,
        r.OrderCutoff is { } cutoff && TryMinute(cutoff, out var minute) ? minute : null,
        r.ProcessingDays,
        r.CarrierServices?.Select(c => new CarrierServiceRef(c.CarrierId, c.ServiceId)).Distinct().ToList());

    public static LocationView ToView(LocationInfo l) => new(
        l.LocationId, l.Name, l.Type, l.Latitude, l.Longitude, l.CountryCode, l.TimeZone,
        l.Address is { } a ? new AddressDto(a.Line1, a.City, a.Line2, a.PostalCode, a.Region) : null,
        l.EffectiveCapabilities, l.Status, l.Priority, l.DailyShipCapacity, l.PickupPreparationMinutes,
        l.OpeningHours?.ToDictionary(d => DayNames[(int)d.Day], d => (IReadOnlyList<HoursDto>)[.. d.Ranges.Select(ToDto)]),
        [.. (l.OpeningExceptions ?? []).Select(e => new OpeningExceptionDto(
            e.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), e.Closed, e.Hours?.Select(ToDto).ToList()))],
        new OnlineSafetyStockDto(l.OnlineSafetyStock?.Default ?? 0, l.OnlineSafetyStock?.Skus ?? new Dictionary<string, int>()),
        l.LowStockThreshold,
        l.EffectiveAcceptWithinMinutes,
        l.EffectiveHoldForPickupDays,
        l.OrderCutoffMinute is { } cutoff ? Format(cutoff) : null,
        l.EffectiveProcessingDays,
        [.. (l.CarrierServices ?? []).Select(c => new CarrierServiceRefDto(c.CarrierId, c.ServiceId))]);

    private static FieldError? ValidateAddress(AddressDto? address)
    {
        if (address is null)
        {
            return null;
        }

        return FieldError.ForText("address.line1", address.Line1, MaxTextLength)
            ?? FieldError.ForText("address.city", address.City, MaxTextLength)
            ?? FieldError.ForText("address.line2", address.Line2, MaxTextLength, required: false)
            ?? FieldError.ForText("address.postalCode", address.PostalCode, MaxTextLength, required: false)
            ?? FieldError.ForText("address.region", address.Region, MaxTextLength, required: false);
    }

    private static FieldError? ValidateNumbers(LocationRequest r)
    {
        if (r.Priority is < 0 or > 1_000)
        {
            return new("priority", "must be between 0 and 1000.");
        }

        if (r.DailyShipCapacity is < 0 or > 100_000)
        {
            return new("dailyShipCapacity", "must be between 0 and 100000.");
        }

        if (r.PickupPreparationMinutes is < 0 or > 7 * 24 * 60)
        {
            return new("pickupPreparationMinutes", "must be between 0 and 10080 (a week).");
        }

        if (r.LowStockThreshold is < 0 or > 100_000)
        {
            return new("lowStockThreshold", "must be between 0 (off) and 100000 units.");
        }

        // Under a minute no one could answer; over a week the order would sit unsourced longer than any customer waits.
        if (r.AcceptWithinMinutes is < 1 or > MaxAcceptWithinMinutes)
        {
            return new("acceptWithinMinutes", $"must be between 1 and {MaxAcceptWithinMinutes} (a week); leave it out for the type's default (30 for a warehouse, 120 for a boutique).");
        }

        if (r.HoldForPickupDays is < 1 or > MaxHoldForPickupDays)
        {
            return new("holdForPickupDays", $"must be between 1 and {MaxHoldForPickupDays}; leave it out for the default of 7.");
        }

        return null;
    }

    private static FieldError? ValidateHours(IReadOnlyDictionary<string, IReadOnlyList<HoursDto>>? hours)
    {
        if (hours is null)
        {
            return null;
        }

        var days = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (day, ranges) in hours)
        {
            var field = $"openingHours.{day}";
            if (!DayNames.Contains(day, StringComparer.OrdinalIgnoreCase))
            {
                return new(field, "is not a day of the week (monday … sunday).");
            }

            // Days match whatever their case, so "monday" and "Monday" would be one day given twice.
            if (!days.Add(day))
            {
                return new(field, "is the same day as another key; give each day once.");
            }

            if (RangesError(field, ranges) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static FieldError? ValidateExceptions(IReadOnlyList<OpeningExceptionDto>? exceptions)
    {
        if (exceptions is null)
        {
            return null;
        }

        if (exceptions.Count > MaxExceptions)
        {
            return new("openingExceptions", $"at most {MaxExceptions} dates.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < exceptions.Count; i++)
        {
            var e = exceptions[i];
            if (!DateOnly.TryParseExact(e.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                return new($"openingExceptions[{i}].date", "must be a date as yyyy-MM-dd.");
            }

            if (!seen.Add(e.Date))
            {
                return new($"openingExceptions[{i}].date", "appears more than once.");
            }

            if (e.Closed == e.Hours is not null)
            {
                return new($"openingExceptions[{i}].hours", "give the hours, or set closed to true, not both.");
            }

            if (e.Hours is not null && RangesError($"openingExceptions[{i}].hours", e.Hours) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static FieldError? RangesError(string field, IReadOnlyList<HoursDto> ranges)
    {
        if (ranges.Count > MaxRangesPerDay)
        {
            return new(field, $"at most {MaxRangesPerDay} opening periods a day.");
        }

        var previousClose = -1;
        for (var i = 0; i < ranges.Count; i++)
        {
            if (!TryMinute(ranges[i].Open, out var open) || open >= 1440)
            {
                return new($"{field}[{i}].open", "must be a time as HH:mm.");
            }

            if (!TryMinute(ranges[i].Close, out var close))
            {
                return new($"{field}[{i}].close", "must be a time as HH:mm (24:00 for midnight).");
            }

            if (close <= open)
            {
                return new($"{field}[{i}].close", "must be after the opening time.");
            }

            if (open < previousClose)
            {
                return new($"{field}[{i}].open", "overlaps the period before it; list periods in order.");
            }

            previousClose = close;
        }

        return null;
    }

    private static FieldError? ValidateBuffer(OnlineSafetyStockDto? buffer)
    {
        if (buffer is null)
        {
            return null;
        }

        if (buffer.Default is < 0 or > 1_000_000)
        {
            return new("onlineSafetyStock.default", "must be between 0 and 1000000.");
        }

        if (buffer.Skus is { Count: > MaxBufferSkus })
        {
            return new("onlineSafetyStock.skus", $"at most {MaxBufferSkus} SKUs.");
        }

        foreach (var (sku, units) in buffer.Skus ?? new Dictionary<string, int>())
        {
            if (!Ids.IsValid(sku))
            {
                return new($"onlineSafetyStock.skus.{sku}", FieldError.IdRule);
            }

            if (units is < 0 or > 1_000_000)
            {
                return new($"onlineSafetyStock.skus.{sku}", "must be between 0 and 1000000.");
            }
        }

        return null;
    }

    private static FieldError? ValidateShipping(LocationRequest r)
    {
        // 24:00 would be a cut-off after the day has ended; the last one is 23:59.
        if (r.OrderCutoff is not null && (!TryMinute(r.OrderCutoff, out var cutoff) || cutoff >= 1440))
        {
            return new("orderCutoff", "must be a local time as HH:mm, such as 15:00.");
        }

        if (r.ProcessingDays is < 0 or > MaxProcessingDays)
        {
            return new("processingDays", $"must be between 0 and {MaxProcessingDays}; leave it out for the type's default (0 for a warehouse, 1 for a boutique).");
        }

        if (r.CarrierServices is null)
        {
            return null;
        }

        if (r.CarrierServices.Count > MaxCarrierServices)
        {
            return new("carrierServices", $"at most {MaxCarrierServices} services.");
        }

        for (var i = 0; i < r.CarrierServices.Count; i++)
        {
            if (r.CarrierServices[i] is not { } service)
            {
                return new($"carrierServices[{i}]", "must be an object with carrierId and serviceId.");
            }

            if (!Ids.IsValid(service.CarrierId))
            {
                return new($"carrierServices[{i}].carrierId", FieldError.IdRule);
            }

            if (!Ids.IsValid(service.ServiceId))
            {
                return new($"carrierServices[{i}].serviceId", FieldError.IdRule);
            }
        }

        return null;
    }

    private static bool TryMinute(string? text, out int minute)
    {
        minute = 0;
        if (text is "24:00")
        {
            minute = 1440;
            return true;
        }

        if (!TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return false;
        }

        minute = time.Hour * 60 + time.Minute;
        return true;
    }

    private static TimeRange ToRange(HoursDto hours)
    {
        TryMinute(hours.Open, out var open);
        TryMinute(hours.Close, out var close);
        return new TimeRange(open, close);
    }

    private static HoursDto ToDto(TimeRange range) => new(Format(range.OpenMinute), Format(range.CloseMinute));

    private static string Format(int minute) => $"{minute / 60:00}:{minute % 60:00}";

    private static bool IsTimeZone(string id) =>
        id.Length <= 64 && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId;
}
