using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace Oms.LoadTest.Seeding;

/// <summary>One stock snapshot call: up to <see cref="StockSeeder.MaxItemsPerSnapshot"/> SKUs at one location.</summary>
internal sealed record SnapshotBatch(string LocationId, IReadOnlyList<SnapshotItem> Items);

/// <summary>
/// Seeds through the public API only (PUT locations, PUT stock snapshots), so the data is exactly what a WMS feed
/// would have produced and the tool needs no access to the database.
/// </summary>
internal sealed class StockSeeder(HttpClient http, TextWriter log)
{
    public const int MaxItemsPerSnapshot = 1_000;

    // Snapshots are idempotent (same sequence = duplicate), so a failed call can simply be sent again. A 503 is the
    // API saying its budget ran out (on a slow disk a 1,000-item snapshot is 1,000 flushed appends): a feed waits
    // as it is told and sends again, as a WMS would, rather than give up the whole run.
    private const int MaxAttempts = 6;

    // A 1,000-item snapshot is 1,000 grain writes; on a busy 2-core box with PostgreSQL that can take many seconds.
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(120);

    public async Task EnsureLocationsAsync(Network network, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(
            Enumerable.Range(0, network.LocationCount),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                var id = Network.LocationId(index);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(CallTimeout);
                using var response = await http.PutAsJsonAsync($"/api/v1/locations/{id}", Network.Location(index), LoadJson.Default.LocationBody, timeout.Token)
                    .ConfigureAwait(false);
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
                {
                    throw new SeedException($"PUT /api/v1/locations/{id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
                }
            }).ConfigureAwait(false);
    }

    public async Task SeedCatalogueAsync(Network network, int parallelism, CancellationToken cancellationToken)
    {
        var batches = (network.CatalogueSize + MaxItemsPerSnapshot - 1) / MaxItemsPerSnapshot;

        // Location-major within each SKU range, so parallel calls land on different locations' grains.
        IEnumerable<SnapshotBatch> Batches()
        {
            for (var batch = 0; batch < batches; batch++)
            {
                var first = batch * MaxItemsPerSnapshot;
                var count = Math.Min(MaxItemsPerSnapshot, network.CatalogueSize - first);
                for (var location = 0; location < network.LocationCount; location++)
                {
                    var items = new SnapshotItem[count];
                    for (var i = 0; i < count; i++)
                    {
                        items[i] = new SnapshotItem(Network.CatalogueSku(first + i), Network.CatalogueOnHand(first + i, location));
                    }

                    yield return new SnapshotBatch(Network.LocationId(location), items);
                }
            }
        }

        await SeedAsync(
            $"catalogue of {network.CatalogueSize:N0} SKUs at {network.LocationCount} locations",
            (long)network.CatalogueSize * network.LocationCount, Batches(), parallelism, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the snapshots in parallel and reports progress and the time taken.</summary>
    public async Task SeedAsync(string what, long totalItems, IEnumerable<SnapshotBatch> batches, int parallelism, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long done = 0, applied = 0, ignored = 0;
        // Progress lines only where seeding takes long enough for someone to wonder whether it is stuck.
        var reportEvery = Math.Max(25_000, totalItems / 10);
        var nextReport = reportEvery;
        var gate = new Lock();
        log.WriteLine($"seeding {what}: {totalItems:N0} positions, {parallelism} snapshot calls in flight");

        await Parallel.ForEachAsync(
            batches,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (batch, ct) =>
            {
                var result = await SendAsync(batch, ct).ConfigureAwait(false);
                Interlocked.Add(ref applied, result.Applied.Count);
                Interlocked.Add(ref ignored, result.Ignored.Count);
                var total = Interlocked.Add(ref done, batch.Items.Count);
                lock (gate)
                {
                    if (total >= nextReport)
                    {
                        nextReport = total + reportEvery;
                        log.WriteLine($"  {total:N0}/{totalItems:N0} positions in {clock.Elapsed.TotalSeconds:0.0} s ({total / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0}/s)");
                    }
                }
            }).ConfigureAwait(false);

        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seeded {what}: {done:N0} positions in {clock.Elapsed.TotalSeconds:0.0} s ({done / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0}/s); " +
            $"{applied:N0} applied, {ignored:N0} already there"));
    }

    private async Task<SnapshotResponse> SendAsync(SnapshotBatch batch, CancellationToken cancellationToken)
    {
        var body = new SnapshotBody(1, batch.Items);
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CallTimeout);
            try
            {
                using var response = await http.PutAsJsonAsync($"/api/v1/locations/{batch.LocationId}/stock", body, LoadJson.Default.SnapshotBody, timeout.Token)
                    .ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return await response.Content.ReadFromJsonAsync(LoadJson.Default.SnapshotResponse, timeout.Token).ConfigureAwait(false)
                        ?? throw new SeedException($"PUT /api/v1/locations/{batch.LocationId}/stock answered an empty body.");
                }

                var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if ((int)response.StatusCode < 500 || attempt >= MaxAttempts)
                {
                    throw new SeedException($"PUT /api/v1/locations/{batch.LocationId}/stock answered {(int)response.StatusCode}: {text}");
                }

                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                log.WriteLine($"  snapshot for {batch.LocationId} answered {(int)response.StatusCode}; retrying in {wait.TotalSeconds:0} s");
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (attempt < MaxAttempts)
            {
                log.WriteLine($"  snapshot for {batch.LocationId} failed ({ex.Message}); retrying");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt >= MaxAttempts)
                {
                    throw new SeedException($"PUT /api/v1/locations/{batch.LocationId}/stock did not answer within {CallTimeout.TotalSeconds:0} s, {MaxAttempts} times.");
                }

                log.WriteLine($"  snapshot for {batch.LocationId} timed out; retrying");
            }
        }
    }
}

internal sealed class SeedException(string message) : Exception(message);
