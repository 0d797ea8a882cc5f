using Oms.Api.Http;
using Oms.Api.Security;
using Oms.Grains.Diagnostics;
using Orleans.Dashboard;

namespace Oms.Api.Diagnostics;

public static class DashboardEndpoints
{
    /// <summary>
    /// The Orleans Dashboard at <c>/dashboard</c>, for admins: a bearer admin key, or an admin signed in to the care
    /// console, whose session cookie a browser sends to the dashboard's page and its polls alike.
    /// </summary>
    public static void MapOmsDashboard(this WebApplication app)
    {
        app.MapOrleansDashboard(OmsDashboard.Path)
            .RequireAuthorization(Policies.Dashboard)
            .ExcludeFromDescription()
            .AddEndpointFilter(async (context, next) =>
                // Grain state holds what never leaves after its creation (webhook secrets, key hashes): the
                // dashboard's state inspector stays shut, and the API's own reads are the way to look at an order.
                (context.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText?.EndsWith("/GrainState", StringComparison.Ordinal) == true
                    ? Problems.NotFound("grainId", "grain state is not shown by this dashboard; read the resource through /api/v1.")
                    : await next(context));
    }
}
