using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Oms.Grains.Promise;

namespace Oms.Api.Promise;

/// <summary>
/// Writes a listing page's answer straight to JSON, as <see cref="ListingPromiseResponse"/> reads: a page of 50
/// products comes from a handful of sources, so each source's dates and duration are formatted once, not per product.
/// </summary>
public static class ListingPromiseRenderer
{
    private sealed record Formatted(string Earliest, string Latest, string OrderWithin);

    public static byte[] Render(IReadOnlyList<string> skus, IReadOnlyList<ShipPromise?> promises, DateTimeOffset at)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + skus.Count * 192);
        var formatted = new Dictionary<ShipPromise, Formatted>(ReferenceEqualityComparer.Instance);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("items");
            for (var i = 0; i < skus.Count; i++)
            {
                json.WriteStartObject();
                json.WriteString("sku", skus[i]);
                json.WriteBoolean("available", promises[i] is not null);
                if (promises[i] is { } p)
                {
                    if (!formatted.TryGetValue(p, out var f))
                    {
                        f = new Formatted(Date(p.EarliestDelivery), Date(p.LatestDelivery), DeliveryPromiser.Iso(p.OrderWithin(at)));
                        formatted[p] = f;
                    }

                    json.WriteString("earliestDelivery", f.Earliest);
                    json.WriteString("latestDelivery", f.Latest);
                    json.WriteString("orderWithin", f.OrderWithin);
                    json.WriteString("carrierId", p.CarrierId);
                    json.WriteString("serviceId", p.ServiceId);
                    json.WriteString("shipsFrom", p.LocationId);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
