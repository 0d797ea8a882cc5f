using System.Net;

namespace Oms.LoadTest.Scenarios;

/// <summary>
/// Scenarios for endpoints that arrive with later issues (#4 click-and-collect options, #5 orders) are registered
/// from the start and probe with one real request: while the route does not exist they report themselves
/// skipped, and once it does they run with no change other than their request shape.
/// </summary>
internal static class EndpointProbe
{
    public const string NotAvailable = "skipped: endpoint not available (issue #4/#5)";

    public static async Task<string?> ProbeAsync(ScenarioContext context, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var described = $"{request.Method} {request.RequestUri}";
        using (request)
        {
            using var deadline = context.Deadline(cancellationToken);
            using var response = await context.Http.SendAsync(request, deadline.Token).ConfigureAwait(false);
            // 405 too: the path may already exist for another verb when the one we need is added.
            return response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed
                ? $"{NotAvailable}: {described} answered {(int)response.StatusCode}"
                : null;
        }
    }
}
