using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Oms.LoadTest;

internal static class JsonBodies
{
    /// <summary>Serialised up front into a byte array, so the request is fully built before its due time and the
    /// send does no serialisation work. The header object is new each time because it is mutable.</summary>
    public static ByteArrayContent Create<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}

// Wire shapes of the requests the tool sends and the few response fields it reads. They are declared here rather
// than referenced from src/Api so that the tool stays a black-box HTTP client: a breaking change to the API's JSON
// shows up as errors in a load run instead of being silently followed by a shared type.

internal sealed record LocationBody(string Name, string Type, double Latitude, double Longitude, string CountryCode, string TimeZone);

internal sealed record SnapshotItem(string Sku, int OnHand);

internal sealed record SnapshotBody(long Sequence, IReadOnlyList<SnapshotItem> Items);

internal sealed record SnapshotResponse(IReadOnlyList<string> Applied, IReadOnlyList<IgnoredSnapshotItem> Ignored);

internal sealed record IgnoredSnapshotItem(string Sku, string Reason);

internal sealed record HoldLine(string Sku, string LocationId, int Quantity);

internal sealed record HoldBody(string ReservationId, IReadOnlyList<HoldLine> Lines, int TtlSeconds);

internal sealed record StockHoldBody(string HoldId, int Quantity, int TtlSeconds);

internal sealed record StockLevelResponse(string Sku, string LocationId, int OnHand, int SafetyStock, int Reserved, int Allocated, int Available);

internal sealed record VerifyResponse(string Status, long Sequence);

internal sealed record AvailabilityResponse(string Sku, int Available, IReadOnlyList<AvailabilityLocation> Locations);

internal sealed record AvailabilityLocation(string LocationId, int Available);

internal sealed record OrderBody(string OrderId, string Channel, OrderCustomer Customer, IReadOnlyList<OrderLine> Lines, OrderDelivery Delivery);

internal sealed record OrderCustomer(string CustomerId);

internal sealed record OrderLine(string LineId, string Sku, int Quantity, decimal UnitPrice, string Currency);

internal sealed record OrderDelivery(string Method, OrderAddress Address);

internal sealed record OrderAddress(string Line1, string City, string CountryCode, double Latitude, double Longitude);

internal sealed record PlacedOrderResponse(string OrderId, IReadOnlyList<PlacedFulfilment> Fulfilments);

internal sealed record PlacedFulfilment(string FulfilmentId);

internal sealed record FulfilmentEventBody(string EventId, string Type);

internal sealed record CreateApiKeyBody(string Name, string Role, IReadOnlyList<string> Channels);

internal sealed record ApiKeyIssuedResponse(string Key, ApiKeyResponse ApiKey);

internal sealed record ApiKeyResponse(string KeyId, string Role);

// Source-generated so that serialising a body on the scheduler's hot loop costs no reflection.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(LocationBody))]
[JsonSerializable(typeof(SnapshotBody))]
[JsonSerializable(typeof(SnapshotResponse))]
[JsonSerializable(typeof(HoldBody))]
[JsonSerializable(typeof(StockHoldBody))]
[JsonSerializable(typeof(StockLevelResponse))]
[JsonSerializable(typeof(VerifyResponse))]
[JsonSerializable(typeof(AvailabilityResponse))]
[JsonSerializable(typeof(OrderBody))]
[JsonSerializable(typeof(PlacedOrderResponse))]
[JsonSerializable(typeof(FulfilmentEventBody))]
[JsonSerializable(typeof(CreateApiKeyBody))]
[JsonSerializable(typeof(ApiKeyIssuedResponse))]
internal sealed partial class LoadJson : JsonSerializerContext;
