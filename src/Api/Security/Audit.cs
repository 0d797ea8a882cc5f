using System.Threading.Channels;
using Oms.Contracts.Security;

namespace Oms.Api.Security;

/// <summary>Marks a POST that only reads (a query, a simulation, a verification), so the audit leaves it out.</summary>
public sealed class ReadOnlyEndpoint
{
    public static ReadOnlyEndpoint Instance { get; } = new();
}

/// <summary>
/// Records every request that changes state, or was refused the chance: who (from the credential, or
/// <c>anonymous</c>), what, which resources, and the outcome. Never a body or a header: they may carry secrets.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditWriter writer, TimeProvider clock)
{
    private static readonly string[] ResourceKeys = ["locationId", "sku", "holdId", "reservationId", "orderId", "customerId", "profileId", "keyId", "webhookId", "deliveryId", "fulfilmentId", "returnId", "refundId"];

    public async Task InvokeAsync(HttpContext http)
    {
        if (!Audited(http))
        {
            await next(http);
            return;
        }

        var at = clock.GetUtcNow();
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await next(http);
            status = http.Response.StatusCode;
        }
        finally
        {
            writer.Record(Entry(http, at, status));
        }
    }

    private static bool Audited(HttpContext http) =>
        !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !HttpMethods.IsOptions(http.Request.Method)
        && http.Request.Path.StartsWithSegments("/api/v1")
        && http.GetEndpoint()?.Metadata.GetMetadata<ReadOnlyEndpoint>() is null;

    private static AuditEntry Entry(HttpContext http, DateTimeOffset at, int status)
    {
        var credential = http.CredentialOrNull();
        var resources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in ResourceKeys)
        {
            if (http.Request.RouteValues.TryGetValue(key, out var value) && value is string { Length: > 0 and <= 256 } id)
            {
                resources[key] = id;
            }
        }

        if (http.Response.Headers.Location.FirstOrDefault() is { Length: <= 512 } location)
        {
            resources["created"] = location;
        }

        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
        var path = http.Request.Path.Value ?? "";
        return new AuditEntry(0, at, credential?.Actor ?? "anonymous", credential?.Name, credential?.RoleName,
            http.Request.Method, route, path.Length <= 512 ? path : path[..512], resources, status, http.TraceIdentifier,
            http.Connection.RemoteIpAddress?.ToString(), Guid.NewGuid());
    }
}

/// <summary>
/// Batches audit entries to the cluster's log off the request path: a request does not wait for its audit
/// row. What an API process killed with -9 had not yet flushed (at most <see cref="FlushEvery"/>) is lost; the
/// stock ledger and order timelines carry the actor durably, in the same write as the change.
/// </summary>
public sealed class AuditWriter(IGrainFactory grains, ILogger<AuditWriter> logger) : BackgroundService
{
    public static readonly TimeSpan FlushEvery = TimeSpan.FromMilliseconds(200);
    private const int MaxBatch = 500;
    private const int Capacity = 50_000;

    private readonly Channel<AuditEntry> _pending = Channel.CreateBounded<AuditEntry>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });

    public void Record(AuditEntry entry) => _pending.Writer.TryWrite(entry);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditEntry>(MaxBatch);
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(FlushEvery, stoppingToken);
                await Drain(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Stopping: what was recorded goes out before the process ends, once, without waiting on a dead cluster.
        await Drain(batch, CancellationToken.None, attempts: 1);
    }

    private async Task Drain(List<AuditEntry> batch, CancellationToken cancellationToken, int attempts = int.MaxValue)
    {
        while (batch.Count > 0 || _pending.Reader.TryPeek(out _))
        {
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await grains.GetGrain<IAuditLogGrain>(0).Append([.. batch]);
                    batch.Clear();
                    break;
                }
                catch (Exception ex) when (attempt < attempts)
                {
                    // Kept and retried: an outage delays the audit, it does not lose it (up to the buffer's bound).
                    logger.LogWarning("Audit batch of {Count} not written yet: {Reason}", batch.Count, ex.Message);
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
                catch (Exception ex)
                {
                    logger.LogError("Audit batch of {Count} lost at shutdown: {Reason}", batch.Count, ex.Message);
                    batch.Clear();
                    return;
                }
            }
        }
    }
}
