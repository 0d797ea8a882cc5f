using Oms.Api.Security;
using Oms.Contracts.Orders;
using Oms.Contracts.Security;

namespace Oms.Api.Demo;

/// <summary>
/// One key per role for the demo, so the README's curl examples work after one copy and paste. Fixed key ids with
/// a new secret each start (a stored key's secret cannot be shown again): a restart invalidates the printed ones.
/// </summary>
public static class DemoKeys
{
    public sealed record Demo(string KeyId, string Variable, string Name, ApiRole Role, OrderChannel[] Channels, string[] LocationIds);

    public static IReadOnlyList<Demo> All { get; } =
    [
        new("de30000000000001", "OMS_STOREFRONT_KEY", "demo storefront (web, app)", ApiRole.Storefront, [OrderChannel.Web, OrderChannel.App], []),
        new("de30000000000002", "OMS_CARE_KEY", "demo customer care", ApiRole.Care, [], []),
        new("de30000000000003", "OMS_STORE_KEY", "demo store BQ-PARIS-1", ApiRole.Store, [], ["BQ-PARIS-1"]),
        new("de30000000000004", "OMS_INTEGRATION_KEY", "demo integration (WMS, feeds)", ApiRole.Integration, [], []),
        new("de30000000000005", "OMS_ADMIN_KEY", "demo admin", ApiRole.Admin, [], []),
    ];

    /// <summary>Issues every demo key afresh and writes them to standard output, never to the log pipeline.</summary>
    public static async Task Issue(IGrainFactory grains, ApiKeyCache cache, TimeProvider clock, TextWriter output)
    {
        var registry = grains.GetGrain<IApiKeyRegistryGrain>(IApiKeyRegistryGrain.Key);
        var lines = new List<string>();
        foreach (var demo in All)
        {
            var key = ApiKeyFormat.NewKey(demo.KeyId);
            var change = await registry.Reissue(new ApiKeyRecord(demo.KeyId, demo.Name, demo.Role, demo.Channels, demo.LocationIds,
                clock.GetUtcNow(), null, "demo", ApiKeyFormat.Hash(key)));
            await cache.Apply(change.Key!);
            lines.Add($"export {demo.Variable}={key}");
        }

        await output.WriteLineAsync("Demo API keys (a restart issues new ones); paste into your shell:\n  " + string.Join("\n  ", lines));
        await output.FlushAsync();
    }
}
