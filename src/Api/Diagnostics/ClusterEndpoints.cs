using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Contracts;
using Oms.Contracts.Fulfilments;
using Oms.Contracts.Orders;
using Oms.Contracts.Returns;
using Oms.Contracts.Stock;

namespace Oms.Api.Diagnostics;

public sealed record SiloView(string Address, string Name, string Host, string Status, DateTimeOffset StartedAt, DateTimeOffset LastAlive);

public sealed record SiloList(IReadOnlyList<SiloView> Silos);

/// <param name="Grain">The grain's type and key, as the dashboard and Orleans' logs name it.</param>
/// <param name="Active">False when no silo has it in memory: its next call activates it wherever placement decides.</param>
/// <param name="Silo">The hosting silo's address, as <c>GET /api/v1/cluster/silos</c> lists it.</param>
public sealed record GrainPlacement(string Grain, bool Active, string? Silo, string? SiloName);

public sealed record PlacementList(IReadOnlyList<GrainPlacement> Grains);

/// <summary>
/// Where the cluster keeps what: the silos, and which one holds a hot stock item or an order in memory, so an
/// operator can go from "this SKU is slow" to a silo's logs and metrics without reading PostgreSQL's activity.
/// </summary>
/// <remarks>
/// Answered from the grain directory: asking never activates the grain, so looking at a cold item does not warm it
/// onto a silo and change the answer.
/// </remarks>
public static class ClusterEndpoints
{
    public static void MapClusterPlacement(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/cluster/silos", async (IGrainFactory grains) =>
            TypedResults.Ok(new SiloList([.. (await Silos(grains)).Values.OrderBy(s => s.Address, StringComparer.Ordinal)])))
        .WithTags("Cluster")
        .RequireAuthorization(Policies.Cluster)
        .Produces<SiloList>();

        app.MapGet("/api/v1/locations/{locationId}/stock/{sku}/placement", async (string locationId, string sku, IGrainFactory grains) =>
        {
            if ((Problems.InvalidId("locationId", locationId) ?? Problems.InvalidId("sku", sku)) is { } badId)
            {
                return (IResult)badId;
            }

            var item = grains.GetGrain<IStockItemGrain>(Ids.StockItemKey(locationId, sku));
            return TypedResults.Ok(await Place(grains, item));
        })
        .WithTags("Cluster")
        .RequireAuthorization(Policies.Cluster)
        .Produces<PlacementList>()
        .ProducesProblem(StatusCodes.Status400BadRequest);

        app.MapGet("/api/v1/orders/{orderId}/placement", async (string orderId, IGrainFactory grains) =>
        {
            if (Problems.InvalidId("orderId", orderId) is { } badId)
            {
                return (IResult)badId;
            }

            // An order lives in three rooms: its own, its fulfilments' and its returns'; each may sit on another silo.
            return TypedResults.Ok(await Place(grains,
                grains.GetGrain<IOrderGrain>(orderId), grains.GetGrain<IFulfilmentGrain>(orderId), grains.GetGrain<IReturnsGrain>(orderId)));
        })
        .WithTags("Cluster")
        .RequireAuthorization(Policies.Cluster)
        .Produces<PlacementList>()
        .ProducesProblem(StatusCodes.Status400BadRequest);
    }

    private static async Task<PlacementList> Place(IGrainFactory grains, params IAddressable[] references)
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var silos = await Silos(grains);
        var placed = new List<GrainPlacement>(references.Length);
        foreach (var reference in references)
        {
            var address = await management.GetActivationAddress(reference);
            var silo = address?.ToParsableString();
            placed.Add(new GrainPlacement(reference.GetGrainId().ToString(), silo is not null, silo,
                silo is not null && silos.TryGetValue(silo, out var view) ? view.Name : null));
        }

        return new PlacementList(placed);
    }

    private static async Task<Dictionary<string, SiloView>> Silos(IGrainFactory grains)
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true);
        return hosts.ToDictionary(h => h.SiloAddress.ToParsableString(), h => new SiloView(
            h.SiloAddress.ToParsableString(), h.SiloName, h.HostName, h.Status.ToString().ToLowerInvariant(),
            new DateTimeOffset(DateTime.SpecifyKind(h.StartTime, DateTimeKind.Utc)), new DateTimeOffset(DateTime.SpecifyKind(h.IAmAliveTime, DateTimeKind.Utc))));
    }
}
