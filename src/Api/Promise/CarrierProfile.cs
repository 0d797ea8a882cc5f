using System.Globalization;
using Oms.Api.Locations;
using Oms.Contracts.Promise;
using Oms.Grains;

namespace Oms.Api.Promise;

public sealed record DistanceBandDto(double UpToKm, int TransitDays);

/// <param name="TransitDays">Delivery days in transit by destination country; the key "default" covers the rest.</param>
/// <param name="DeliveryWindowDays">Delivery days between the earliest and the latest date promised.</param>
public sealed record CarrierServiceDto(
    string ServiceId,
    IReadOnlyDictionary<string, int> TransitDays,
    IReadOnlyList<string> DeliveryDays,
    IReadOnlyList<string> PickupDays,
    IReadOnlyList<DistanceBandDto>? DistanceBands = null,
    int DeliveryWindowDays = 1);

/// <param name="Holidays">By country, the dates (yyyy-MM-dd) the carrier neither collects nor delivers there.</param>
public sealed record CarrierRequest(
    string Name,
    IReadOnlyList<CarrierServiceDto> Services,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Holidays = null);

public sealed record CarrierView(
    string CarrierId,
    string Name,
    IReadOnlyList<CarrierServiceDto> Services,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Holidays);

public sealed record CarrierList(IReadOnlyList<CarrierView> Carriers);

/// <summary>Validation and mapping between the HTTP shape of a carrier and the stored one.</summary>
public static class CarrierProfile
{
    public const string DefaultKey = "default";
    public const int MaxNameLength = 200;
    public const int MaxServices = 20;
    public const int MaxTransitDays = 30;
    public const int MaxCountries = 250;
    public const int MaxBands = 20;
    public const double MaxBandKm = 20_000;
    public const int MaxWindowDays = 10;
    public const int MaxHolidaysPerCountry = 366;

    public static FieldError? Validate(CarrierRequest request)
    {
        if (FieldError.ForText("name", request.Name, MaxNameLength) is { } badName)
        {
            return badName;
        }

        if (request.Services.Count is 0 or > MaxServices)
        {
            return new("services", $"give 1 to {MaxServices} services.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Services.Count; i++)
        {
            if (request.Services[i] is not { } service)
            {
                return new($"services[{i}]", "must be a service object.");
            }

            if (FieldError.ForId($"services[{i}].serviceId", service.ServiceId) is { } badId)
            {
                return badId;
            }

            if (!ids.Add(service.ServiceId))
            {
                return new($"services[{i}].serviceId", "is given twice; each service once.");
            }

            if (ValidateService($"services[{i}]", service) is { } error)
            {
                return error;
            }
        }

        return ValidateHolidays(request.Holidays);
    }

    private static FieldError? ValidateService(string field, CarrierServiceDto service)
    {
        if (service.TransitDays.Count is 0 or > MaxCountries + 1)
        {
            return new($"{field}.transitDays", $"give \"{DefaultKey}\" and/or 1 to {MaxCountries} country codes.");
        }

        foreach (var (key, days) in service.TransitDays)
        {
            // Keys are case-insensitive country codes, so "fr" and "FR" would be one country given twice.
            if (key != DefaultKey && (FieldError.ForCountryCode($"{field}.transitDays.{key}", key) is { } badCountry))
            {
                return badCountry with { Message = $"must be \"{DefaultKey}\" or an ISO 3166-1 alpha-2 code, such as FR." };
            }

            if (days is < 0 or > MaxTransitDays)
            {
                return new($"{field}.transitDays.{key}", $"must be between 0 (same day) and {MaxTransitDays} delivery days.");
            }
        }

        if (service.TransitDays.Keys.GroupBy(k => k, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return new($"{field}.transitDays.{twice.Key}", "is the same country as another key; give each country once.");
        }

        if ((ValidateDays($"{field}.deliveryDays", service.DeliveryDays) ?? ValidateDays($"{field}.pickupDays", service.PickupDays)) is { } badDays)
        {
            return badDays;
        }

        if (service.DeliveryWindowDays is < 0 or > MaxWindowDays)
        {
            return new($"{field}.deliveryWindowDays", $"must be between 0 (one day) and {MaxWindowDays} delivery days.");
        }

        if (service.DistanceBands is not { } bands)
        {
            return null;
        }

        if (bands.Count > MaxBands)
        {
            return new($"{field}.distanceBands", $"at most {MaxBands} bands.");
        }

        var previous = 0.0;
        for (var i = 0; i < bands.Count; i++)
        {
            if (bands[i] is not { } band)
            {
                return new($"{field}.distanceBands[{i}]", "must be an object with upToKm and transitDays.");
            }

            if (!double.IsFinite(band.UpToKm) || band.UpToKm <= previous || band.UpToKm > MaxBandKm)
            {
                return new($"{field}.distanceBands[{i}].upToKm", $"must be above the band before it (and 0) and at most {MaxBandKm} km.");
            }

            if (band.TransitDays is < 0 or > MaxTransitDays)
            {
                return new($"{field}.distanceBands[{i}].transitDays", $"must be between 0 (same day) and {MaxTransitDays} delivery days.");
            }

            previous = band.UpToKm;
        }

        return null;
    }

    private static FieldError? ValidateDays(string field, IReadOnlyList<string> days)
    {
        if (days.Count is 0 or > 7)
        {
            return new(field, "give 1 to 7 days of the week (monday … sunday).");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < days.Count; i++)
        {
            if (days[i] is not { } day || !LocationProfile.DayNames.Contains(day, StringComparer.OrdinalIgnoreCase))
            {
                return new($"{field}[{i}]", "is not a day of the week (monday … sunday).");
            }

            if (!seen.Add(day))
            {
                return new($"{field}[{i}]", "is given twice.");
            }
        }

        return null;
    }

    private static FieldError? ValidateHolidays(IReadOnlyDictionary<string, IReadOnlyList<string>>? holidays)
    {
        if (holidays is null)
        {
            return null;
        }

        if (holidays.Count > MaxCountries)
        {
            return new("holidays", $"at most {MaxCountries} countries.");
        }

        var countries = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (country, dates) in holidays)
        {
            if (FieldError.ForCountryCode($"holidays.{country}", country) is { } badCountry)
            {
                return badCountry;
            }

            if (!countries.Add(country))
            {
                return new($"holidays.{country}", "is the same country as another key; give each country once.");
            }

            if (dates.Count > MaxHolidaysPerCountry)
            {
                return new($"holidays.{country}", $"at most {MaxHolidaysPerCountry} dates.");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < dates.Count; i++)
            {
                if (dates[i] is not { } date || !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    return new($"holidays.{country}[{i}]", "must be a date as yyyy-MM-dd.");
                }

                if (!seen.Add(date))
                {
                    return new($"holidays.{country}[{i}]", "appears more than once.");
                }
            }
        }

        return null;
    }

    public static CarrierInfo ToInfo(string carrierId, CarrierRequest r) => new(
        carrierId,
        r.Name.Trim(),
        [.. r.Services.Select(s => new CarrierService(
            s.ServiceId,
            s.TransitDays.TryGetValue(DefaultKey, out var fallback) ? fallback : null,
            s.TransitDays.Where(kv => kv.Key != DefaultKey).ToDictionary(kv => kv.Key.ToUpperInvariant(), kv => kv.Value),
            [.. s.DeliveryDays.Select(ToDay).Distinct().Order()],
            [.. s.PickupDays.Select(ToDay).Distinct().Order()],
            s.DistanceBands is { Count: > 0 } bands ? [.. bands.Select(b => new DistanceBand(b.UpToKm, b.TransitDays))] : null,
            s.DeliveryWindowDays))],
        (r.Holidays ?? new Dictionary<string, IReadOnlyList<string>>()).ToDictionary(
            h => h.Key.ToUpperInvariant(),
            h => (IReadOnlyList<DateOnly>)[.. h.Value.Select(d => DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture)).Order()]));

    public static CarrierView ToView(CarrierInfo c) => new(
        c.CarrierId,
        c.Name,
        [.. c.Services.Select(s => new CarrierServiceDto(
            s.ServiceId,
            s.TransitDaysByCountry.Concat(s.DefaultTransitDays is { } d ? [new KeyValuePair<string, int>(DefaultKey, d)] : [])
                .ToDictionary(kv => kv.Key, kv => kv.Value),
            [.. s.DeliveryDays.Select(Name)],
            [.. s.PickupDays.Select(Name)],
            s.DistanceBands?.Select(b => new DistanceBandDto(b.UpToKm, b.TransitDays)).ToList(),
            s.DeliveryWindowDays))],
        c.Holidays.ToDictionary(h => h.Key, h => (IReadOnlyList<string>)[.. h.Value.Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))]));

    private static DayOfWeek ToDay(string name) =>
        (DayOfWeek)Array.FindIndex(LocationProfile.DayNames, d => string.Equals(d, name, StringComparison.OrdinalIgnoreCase));

    private static string Name(DayOfWeek day) => LocationProfile.DayNames[(int)day];
}
