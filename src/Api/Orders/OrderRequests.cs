using System.Text.Json;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Oms.Contracts;
using Oms.Contracts.Orders;
using Oms.Grains;

namespace Oms.Api.Orders;

public sealed record CustomerDto(string CustomerId, string? Email = null, string? Name = null);

public sealed record LineHoldDto(string LocationId, string HoldId);

/// <param name="FinalSale">Sold on the terms that it cannot be returned.</param>
public sealed record OrderLineDto(string LineId, string Sku, int Quantity, decimal UnitPrice, string Currency, LineHoldDto? Hold = null, bool FinalSale = false);

public sealed record DeliveryAddressDto(string Line1, string City, string CountryCode, string? PostalCode = null, double? Latitude = null, double? Longitude = null);

/// <param name="CarrierId">The carrier service chosen for a shipment (as a promise option named it); without one, each
/// shipment goes by its source's fastest service.</param>
public sealed record DeliveryDto(
    DeliveryMethod Method, DeliveryAddressDto? Address = null, string? PickupLocationId = null, string? CarrierId = null, string? ServiceId = null);

/// <summary>Whether the payment was taken at checkout (<c>captured</c>) or only authorised (<c>authorised</c>, the default).</summary>
public sealed record PaymentDto(PaymentStatus Status);

public enum PaymentStatus { Authorised, Captured }

/// <summary>The checkout body, shared by POST /orders and POST /sourcing/simulate.</summary>
public sealed record OrderRequest(
    OrderChannel Channel,
    CustomerDto Customer,
    IReadOnlyList<OrderLineDto> Lines,
    DeliveryDto Delivery,
    string? OrderId = null,
    string? ReservationId = null,
    string? StoreLocationId = null,
    decimal ShippingAmount = 0m,
    PaymentDto? Payment = null);

public static class OrderRequests
{
    public const int MaxLines = 100;
    public const int MaxQuantity = 10_000;
    public const decimal MaxUnitPrice = 1_000_000_000m;
    public const int MaxIdempotencyKeyLength = 128;

    /// <summary>ISO 4217 codes as the platform's regional data knows them.</summary>
    private static readonly HashSet<string> Currencies = [.. CultureInfo.GetCultures(CultureTypes.SpecificCultures)
        .Select(c => { try { return new RegionInfo(c.Name).ISOCurrencySymbol; } catch (ArgumentException) { return null; } })
        .OfType<string>()
        .Where(code => code.Length == 3)];

    public static FieldError? Validate(OrderRequest r)
    {
        var badId = (r.OrderId is not null ? FieldError.ForId("orderId", r.OrderId) : null)
            ?? (r.ReservationId is not null ? FieldError.ForId("reservationId", r.ReservationId) : null)
            ?? (r.StoreLocationId is not null ? FieldError.ForId("storeLocationId", r.StoreLocationId) : null)
            ?? FieldError.ForId("customer.customerId", r.Customer.CustomerId);
        if (badId is not null)
        {
            return badId;
        }

        if (r.StoreLocationId is not null && r.Channel != OrderChannel.Store)
        {
            return new FieldError("storeLocationId", "names the boutique of an order placed in store; only for channel 'store'.");
        }

        var badCustomer = (r.Customer.Email is not null ? FieldError.ForEmail("customer.email", r.Customer.Email) : null)
            ?? FieldError.ForText("customer.name", r.Customer.Name, 200, required: false);
        if (badCustomer is not null)
        {
            return badCustomer;
        }

        if (r.ReservationId is not null && r.Lines.Select((l, i) => (l, i)).FirstOrDefault(x => x.l.Hold is not null) is { l: not null } held)
        {
            // A line is covered by one or the other; both at once would leave unclear which units are the order's.
            return new($"lines[{held.i}].hold", "cannot be combined with reservationId; use one or the other.");
        }

        if (r.ShippingAmount < 0 || r.ShippingAmount > MaxUnitPrice || r.ShippingAmount.Scale > 4)
        {
            return new("shippingAmount", $"must be between 0 and {MaxUnitPrice}, with at most 4 decimals, in the lines' currency.");
        }

        if (r.Payment is { } payment && !Enum.IsDefined(payment.Status))
        {
            return new("payment.status", "must be authorised or captured.");
        }

        return ValidateLines(r.Lines) ?? ValidateDelivery(r.Delivery);
    }

    public static PlaceOrder ToCommand(OrderRequest r) => new(
        r.Channel,
        new Customer(r.Customer.CustomerId, r.Customer.Email, r.Customer.Name),
        [.. r.Lines.Select(l => new OrderLine(l.LineId, l.Sku, l.Quantity, l.UnitPrice, l.Currency.ToUpperInvariant(),
            l.Hold is { } h ? new LineHold(h.LocationId, h.HoldId) : null, l.FinalSale))],
        new Delivery(r.Delivery.Method,
            r.Delivery.Address is { } a ? new DeliveryAddress(a.Line1, a.City, a.PostalCode, a.CountryCode.ToUpperInvariant(), a.Latitude, a.Longitude) : null,
            r.Delivery.PickupLocationId, r.Delivery.CarrierId, r.Delivery.ServiceId),
        r.ReservationId,
        r.StoreLocationId,
        r.ShippingAmount,
        r.Payment?.Status == PaymentStatus.Captured);

    /// <summary>
    /// What an idempotency key is bound to: the whole request as sent, its order id included, so a reuse of the key
    /// with anything else is a conflict. A digest, so a key's record stays small whatever the basket.
    /// </summary>
    public static string Fingerprint(PlaceOrder command, string? orderId) =>
        Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new { command, orderId })));

    public static FieldError? ValidateIdempotencyKey(string? key) =>
        key is null || (key.Length is > 0 and <= MaxIdempotencyKeyLength && key.All(c => c is >= '!' and <= '~'))
            ? null
            : new FieldError("Idempotency-Key", $"must be 1 to {MaxIdempotencyKeyLength} visible ASCII characters.");

    private static FieldError? ValidateLines(IReadOnlyList<OrderLineDto> lines)
    {
        if (lines.Count is 0 or > MaxLines)
        {
            return new("lines", $"must hold 1 to {MaxLines} lines.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var skus = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if ((FieldError.ForId($"lines[{i}].lineId", line.LineId) ?? FieldError.ForId($"lines[{i}].sku", line.Sku)) is { } badId)
            {
                return badId;
            }

            if (!ids.Add(line.LineId))
            {
                return new($"lines[{i}].lineId", "appears on an earlier line.");
            }

            if (!skus.Add(line.Sku))
            {
                return new($"lines[{i}].sku", "appears on an earlier line; put the whole quantity on one line.");
            }

            if (line.Quantity is < 1 or > MaxQuantity)
            {
                return new($"lines[{i}].quantity", $"must be between 1 and {MaxQuantity}.");
            }

            if (line.Hold is { } hold
                && (FieldError.ForId($"lines[{i}].hold.locationId", hold.LocationId) ?? FieldError.ForId($"lines[{i}].hold.holdId", hold.HoldId)) is { } badHold)
            {
                return badHold;
            }

            if (line.UnitPrice < 0 || line.UnitPrice > MaxUnitPrice || line.UnitPrice.Scale > 4)
            {
                return new($"lines[{i}].unitPrice", $"must be between 0 and {MaxUnitPrice}, with at most 4 decimals.");
            }

            if (!Currencies.Contains(line.Currency.ToUpperInvariant()))
            {
                return new($"lines[{i}].currency", "must be an ISO 4217 currency code, such as EUR.");
            }

            if (!string.Equals(line.Currency, lines[0].Currency, StringComparison.OrdinalIgnoreCase))
            {
                return new($"lines[{i}].currency", "every line of an order must be in the same currency.");
            }
        }

        return null;
    }

    private static FieldError? ValidateDelivery(DeliveryDto delivery)
    {
        if (delivery.CarrierId is not null || delivery.ServiceId is not null)
        {
            if (delivery.Method == DeliveryMethod.ClickAndCollect)
            {
                return new(delivery.CarrierId is null ? "delivery.serviceId" : "delivery.carrierId", "applies only to ship-to-home.");
            }

            if ((FieldError.ForId("delivery.carrierId", delivery.CarrierId) ?? FieldError.ForId("delivery.serviceId", delivery.ServiceId)) is { } badService)
            {
                return badService with { Message = "give carrierId and serviceId together; each " + badService.Message };
            }
        }

        if (delivery.Method == DeliveryMethod.ClickAndCollect)
        {
            return delivery.PickupLocationId is null
                ? new("delivery.pickupLocationId", "is required for click-and-collect.")
                : FieldError.ForId("delivery.pickupLocationId", delivery.PickupLocationId);
        }

        if (delivery.Address is not { } a)
        {
            return new("delivery.address", "is required for ship-to-home.");
        }

        var badAddress = FieldError.ForText("delivery.address.line1", a.Line1, 200)
            ?? FieldError.ForText("delivery.address.city", a.City, 200)
            ?? FieldError.ForText("delivery.address.postalCode", a.PostalCode, 20, required: false)
            ?? FieldError.ForCountryCode("delivery.address.countryCode", a.CountryCode);
        if (badAddress is not null)
        {
            return badAddress;
        }

        if (a.Latitude is null != a.Longitude is null)
        {
            return new(a.Latitude is null ? "delivery.address.latitude" : "delivery.address.longitude", "give both coordinates or neither.");
        }

        if (a.Latitude is { } lat && (!double.IsFinite(lat) || lat is < -90 or > 90))
        {
            return new("delivery.address.latitude", "must be between -90 and 90.");
        }

        if (a.Longitude is { } lon && (!double.IsFinite(lon) || lon is < -180 or > 180))
        {
            return new("delivery.address.longitude", "must be between -180 and 180.");
        }

        return null;
    }
}
