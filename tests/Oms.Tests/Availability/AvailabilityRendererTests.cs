using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Oms.Api.Availability;
using Oms.Api.Http;
using Oms.Contracts.Availability;
using Oms.Contracts.ClickAndCollect;
using Oms.Contracts.Locations;

namespace Oms.Tests.Availability;

public sealed class AvailabilityRendererTests
{
    private static readonly LocationInfo Warehouse = new("WH", "WH", LocationType.Warehouse, 49.0, 2.5, "FR", "Europe/Paris");

    private static AvailabilityRenderer Renderer(bool keep)
    {
        var options = new JsonOptions();
        ApiJson.Configure(options.SerializerOptions);
        return new AvailabilityRenderer(Options.Create(options), keep);
    }

    private static SkuAvailability View(int available) =>
        new("BAG", available, [new LocationAvailability("WH", LocationType.Warehouse, available)]);

    private static Dictionary<string, LocationInfo> Profiles(LocationInfo profile) => new() { [profile.LocationId] = profile };

    [Fact]
    public void The_same_view_and_profiles_reuse_the_rendered_json_and_any_change_renders_afresh()
    {
        var renderer = Renderer(keep: true);
        var view = View(4);
        var profiles = Profiles(Warehouse);

        var first = renderer.Render(view, AvailabilityView.Online, profiles);
        var again = renderer.Render(view, AvailabilityView.Online, profiles);
        var changedStock = renderer.Render(View(3), AvailabilityView.Online, profiles);
        var paused = renderer.Render(view, AvailabilityView.Online, Profiles(Warehouse with { Status = LocationStatus.Paused }));
        var storeView = renderer.Render(view, AvailabilityView.Store, Profiles(Warehouse with { Status = LocationStatus.Paused }));

        Assert.Same(first, again);
        Assert.Equal(4, Available(first));
        Assert.Equal(3, Available(changedStock));
        Assert.Equal(0, Available(paused));
        Assert.Equal(4, Available(storeView));
    }

    [Fact]
    public void With_remote_silos_nothing_is_kept()
    {
        var renderer = Renderer(keep: false);
        var view = View(4);
        var profiles = Profiles(Warehouse);

        Assert.NotSame(renderer.Render(view, AvailabilityView.Online, profiles), renderer.Render(view, AvailabilityView.Online, profiles));
    }

    private static int Available(byte[] json) => JsonDocument.Parse(json).RootElement.GetProperty("available").GetInt32();
}
