using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Oms.Contracts.Availability;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;
using Oms.Grains.Availability;

namespace Oms.Api.Availability;

/// <summary>
/// Turns a SKU's raw view into the JSON a reader gets, and keeps that JSON for as long as the raw view object
/// lives. When the silo runs in this process, an [Immutable] grain result crosses without a copy: the SKU's
/// grain hands back the very object it cached, a new one only after a stock change. So a storefront read of an
/// unchanged SKU skips the online rules and the serialiser, and a stock or profile change is never served stale
/// (a changed view is a new object, and new profiles are a new dictionary). The table holds its entries weakly:
/// once the grain drops a view, its JSON goes with it, so memory follows the live views, not the catalogue.
/// </summary>
/// <remarks>Off when the silos are remote: every result is then a fresh copy, and keying on it would only cost.</remarks>
public sealed class AvailabilityRenderer(IOptions<JsonOptions> json, bool keepRendered)
{
    private readonly JsonSerializerOptions _options = json.Value.SerializerOptions;
    private readonly ConditionalWeakTable<SkuAvailability, Rendered> _online = new();
    private readonly ConditionalWeakTable<SkuAvailability, Rendered> _store = new();

    public byte[] Render(SkuAvailability raw, AvailabilityView view, IReadOnlyDictionary<string, LocationInfo> profiles)
    {
        var table = view == AvailabilityView.Store ? _store : _online;
        if (keepRendered && table.TryGetValue(raw, out var rendered) && ReferenceEquals(rendered.Profiles, profiles))
        {
            return rendered.Json;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(AvailabilityViews.Apply(raw, view, profiles), _options);
        if (keepRendered)
        {
            table.AddOrUpdate(raw, new Rendered(profiles, bytes));
        }

        return bytes;
    }

    private sealed record Rendered(IReadOnlyDictionary<string, LocationInfo> Profiles, byte[] Json);
}
