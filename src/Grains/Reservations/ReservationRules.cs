using Oms.Contracts;
using Oms.Contracts.Reservations;

namespace Oms.Grains.Reservations;

/// <summary>The limits and equality rules of a checkout hold, shared by the API's validation and the grain.</summary>
public static class ReservationRules
{
    public const int MaxLines = 100;
    public const int MaxQuantity = 10_000;
    public const int MinTtlSeconds = 1;
    public const int MaxTtlSeconds = 7 * 24 * 3600;

    /// <returns>null when valid, else the first offending field.</returns>
    public static FieldError? Validate(ReservationRequest request)
    {
        if (request.Lines is null || request.Lines.Count == 0)
        {
            return new FieldError("lines", "at least one line is required.");
        }

        if (request.Lines.Count > MaxLines)
        {
            return new FieldError("lines", $"at most {MaxLines} lines.");
        }

        if (request.TtlSeconds is < MinTtlSeconds or > MaxTtlSeconds)
        {
            return new FieldError("ttlSeconds", $"must be between {MinTtlSeconds} and {MaxTtlSeconds}.");
        }

        if (request.CustomerId is not null && FieldError.ForId("customerId", request.CustomerId) is { } badCustomer)
        {
            return badCustomer;
        }

        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < request.Lines.Count; i++)
        {
            var line = request.Lines[i];
            if (line is null)
            {
                return new FieldError($"lines[{i}]", "must be an object.");
            }

            if (FieldError.ForId($"lines[{i}].sku", line.Sku) is { } badId1)
            {
                return badId1;
            }

            if (FieldError.ForId($"lines[{i}].locationId", line.LocationId) is { } badId2)
            {
                return badId2;
            }

            if (line.Quantity is < 1 or > MaxQuantity)
            {
                return new FieldError($"lines[{i}].quantity", $"must be between 1 and {MaxQuantity}.");
            }

            if (!seen.Add((line.Sku, line.LocationId)))
            {
                return new FieldError($"lines[{i}]", "the same sku and location appear on an earlier line; merge them.");
            }
        }

        return null;
    }

    public static bool SameRequest(IReadOnlyList<ReservationLine> lines, int ttlSeconds, string? customerId, ReservationRequest request) =>
        ttlSeconds == request.TtlSeconds && customerId == request.CustomerId && lines.SequenceEqual(request.Lines);

    /// <summary>A reservation that names its customer is theirs alone; one that names none is anyone's checkout.</summary>
    public static bool IsFor(string? reservedFor, string customerId) => reservedFor is null || reservedFor == customerId;
}
