using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Oms.LoadTest.Engine;
using Oms.LoadTest.Seeding;

namespace Oms.LoadTest.Scenarios;

/// <summary>
/// Holds of one unit, each under a new id, against positions this run stocks itself: placed directly on the
/// stock item (the flash-sale path), or, for reserve-hot, as one-line basket reservations through the
/// reservation API, to show what the extra reservation record costs.
/// Fresh positions per run matter: holds live an hour, so a position reused from an earlier run would start
/// with fewer units available (and a longer ledger), and oversell could not be counted exactly.
/// </summary>
internal sealed class HoldScenario : Scenario
{
    /// <summary>Long enough that no hold lapses during a run: an expiry would hand units back and hide an oversell.</summary>
    public const int TtlSeconds = 3600;

    private const int VerifyParallelism = 16;

    private static readonly TimeSpan VerifyTimeout = TimeSpan.FromMinutes(1);

    // A ledger replay reads a position's whole history, so only a sample is checked; the hot SKU is always among it.
    private const int LedgerSample = 20;

    private readonly Position[] _positions;
    private readonly int _onHand;
    private readonly string _reservationPrefix;
    private readonly bool _viaReservations;

    // Lines per reservation: positions item, item + 1, … (wrapping), which a layout keeps on distinct SKUs.
    private readonly int _lines;
    private readonly int[] _held;
    private long _refused;

    private HoldScenario(string name, Position[] positions, int onHand, bool scarce, string reservationPrefix, bool viaReservations = false, int lines = 1)
    {
        _viaReservations = viaReservations;
        _lines = lines;
        Name = name;
        Label = scarce ? $"{name} (stock {onHand.ToString(CultureInfo.InvariantCulture)})" : name;
        _positions = positions;
        _onHand = onHand;
        _reservationPrefix = reservationPrefix;
        _held = new int[positions.Length];
    }

    public override string Name { get; }

    public override string Label { get; }

    /// <summary>A flash-sale drop: every buyer wants the same SKU at the same location.</summary>
    public static HoldScenario Hot(LoadOptions options, bool viaReservations) =>
        new(viaReservations ? "reserve-hot" : "hold-hot", [new Position($"HOT-{options.RunTag}", Network.LocationId(0))],
            options.Stock ?? LoadOptions.MaxUnitsPerPosition, options.Stock is not null, $"{options.RunTag}-{(viaReservations ? "rh" : "hh")}", viaReservations);

    /// <summary>Ordinary trade: buyers spread uniformly over many SKU-locations, so no single item is contended.
    /// hold-spread holds on the stock item itself over --spread-items positions (default 10,000: 500 SKUs at each
    /// of 20 locations); reserve-spread makes one-line reservations over 20,000 (1,000 SKUs at each of 20).</summary>
    public static HoldScenario Spread(LoadOptions options, Network network, bool viaReservations)
    {
        var items = options.SpreadItems ?? (viaReservations ? 20_000 : 10_000);
        return Layout(viaReservations ? "reserve-spread" : "hold-spread", viaReservations ? "RSP" : "SPR", options, network, items,
            Math.Min(network.LocationCount, items), viaReservations, lines: 1);
    }

    /// <summary>A basket: three-line reservations over 10,000 SKUs (--spread-items), each stocked at one location
    /// (SKU k at location k mod --locations), so the three lines are three SKUs at three locations.</summary>
    public static HoldScenario Basket(LoadOptions options, Network network) =>
        Layout("reserve-3line", "R3L", options, network, options.SpreadItems ?? 10_000, 1, viaReservations: true, lines: 3);

    /// <summary>Position k is SKU k / <paramref name="locationsPerSku"/> at location k mod the location count.</summary>
    private static HoldScenario Layout(string name, string prefix, LoadOptions options, Network network, int items, int locationsPerSku, bool viaReservations, int lines)
    {
        var positions = new Position[Math.Max(items, lines)];
        for (var k = 0; k < positions.Length; k++)
        {
            positions[k] = new Position($"{prefix}-{options.RunTag}-{(k / locationsPerSku).ToString("00000", CultureInfo.InvariantCulture)}",
                Network.LocationId(k % Math.Min(network.LocationCount, positions.Length)));
        }

        return new(name, positions, options.Stock ?? LoadOptions.MaxUnitsPerPosition, options.Stock is not null,
            $"{options.RunTag}-{prefix.ToLowerInvariant()}", viaReservations, lines);
    }

    public override async Task<string?> PrepareAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var seeder = new StockSeeder(context.Http, context.Log);
        await seeder.EnsureLocationsAsync(context.Network, cancellationToken).ConfigureAwait(false);
        var batches = _positions
            .GroupBy(p => p.LocationId, StringComparer.Ordinal)
            .SelectMany(g => g.Chunk(StockSeeder.MaxItemsPerSnapshot)
                .Select(chunk => new SnapshotBatch(g.Key, [.. chunk.Select(p => new SnapshotItem(p.Sku, _onHand))])));
        await seeder.SeedAsync($"{Name} stock ({_onHand:N0} on hand each)", _positions.Length, batches, context.Options.SeedParallelism, cancellationToken)
            .ConfigureAwait(false);
        return null;
    }

    public override PlannedRequest Next(long sequence, Random random)
    {
        var item = _positions.Length == 1 ? 0 : random.Next(_positions.Length);
        var position = _positions[item];
        var id = _reservationPrefix + "-" + sequence.ToString(CultureInfo.InvariantCulture);
        if (_viaReservations)
        {
            var body = new HoldBody(id, [.. Lines(item).Select(i => new HoldLine(_positions[i].Sku, _positions[i].LocationId, 1))], TtlSeconds);
            return new(new HttpRequestMessage(HttpMethod.Post, "/api/v1/reservations") { Content = JsonBodies.Create(body, LoadJson.Default.HoldBody) }, item);
        }

        return new(
            new HttpRequestMessage(HttpMethod.Post, $"/api/v1/locations/{position.LocationId}/stock/{position.Sku}/holds")
            {
                Content = JsonBodies.Create(new StockHoldBody(id, 1, TtlSeconds), LoadJson.Default.StockHoldBody),
            },
            item);
    }

    public override Outcome Classify(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Created => Outcome.Ok,
        HttpStatusCode.Conflict => Outcome.Refused,
        _ => Outcome.Error,
    };

    public override void Acknowledge(in PlannedRequest request, HttpStatusCode status)
    {
        if (status == HttpStatusCode.Created)
        {
            // A reservation is all or nothing: a 201 holds one unit on every one of its lines.
            foreach (var i in Lines(request.Item))
            {
                Interlocked.Increment(ref _held[i]);
            }
        }
        else if (status == HttpStatusCode.Conflict)
        {
            Interlocked.Increment(ref _refused);
        }
    }

    /// <summary>
    /// Oversell is counted twice: from the 201s the buyers received, and from what the server itself says is
    /// reserved. The two differ only if an answer was lost (a timeout after the hold was made), which is not
    /// an oversell but is worth seeing. A sample of ledgers is replayed by the server as a third check.
    /// </summary>
    public override async Task<StockVerdict?> VerifyAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        long acknowledged = 0, oversell = 0;
        for (var i = 0; i < _held.Length; i++)
        {
            var held = Volatile.Read(ref _held[i]);
            acknowledged += held;
            oversell += Math.Max(0, held - _onHand);
        }

        long serverReserved = 0, serverOversell = 0, unreadable = 0;
        await Parallel.ForEachAsync(
            _positions,
            new ParallelOptions { MaxDegreeOfParallelism = VerifyParallelism, CancellationToken = cancellationToken },
            async (position, ct) =>
            {
                using var deadline = context.Deadline(ct);
                try
                {
                    var level = await context.Http.GetFromJsonAsync(
                        $"/api/v1/locations/{position.LocationId}/stock/{position.Sku}", LoadJson.Default.StockLevelResponse, deadline.Token).ConfigureAwait(false);
                    if (level is null)
                    {
                        Interlocked.Increment(ref unreadable);
                        return;
                    }

                    Interlocked.Add(ref serverReserved, level.Reserved);
                    Interlocked.Add(ref serverOversell, Math.Max(0, level.Reserved + level.Allocated - Math.Max(0, level.OnHand - level.SafetyStock)));
                }
                catch (Exception ex) when (ex is HttpRequestException or JsonException
                    || (ex is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    // One unreadable position must not hide what the others say; the count is reported instead.
                    Interlocked.Increment(ref unreadable);
                }
            }).ConfigureAwait(false);

        var (ledgerChecked, ledgerInconsistent, ledgerUnreadable) = await VerifyLedgersAsync(context, cancellationToken).ConfigureAwait(false);

        var notes = new List<string>();
        if (unreadable > 0)
        {
            notes.Add($"{unreadable} positions could not be read back");
        }

        if (ledgerUnreadable > 0)
        {
            notes.Add($"{ledgerUnreadable} ledgers could not be verified");
        }

        if (unreadable == 0 && serverReserved != acknowledged)
        {
            notes.Add($"server reserved {serverReserved - acknowledged:+#;-#;0} vs acknowledged (answers lost to timeouts)");
        }

        return new StockVerdict(
            _positions.Length, _onHand, acknowledged, Interlocked.Read(ref _refused), oversell,
            unreadable == 0 ? serverReserved : null, serverOversell, ledgerChecked, ledgerInconsistent,
            notes.Count == 0 ? null : string.Join("; ", notes));
    }

    private IEnumerable<int> Lines(int item) => Enumerable.Range(item, _lines).Select(i => i % _positions.Length);

    private async Task<(int Checked, int Inconsistent, int Unreadable)> VerifyLedgersAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        int verified = 0, inconsistent = 0, unreadable = 0;
        var sample = _positions.Length <= LedgerSample
            ? _positions
            : [.. Enumerable.Range(0, LedgerSample).Select(i => _positions[(int)((long)i * _positions.Length / LedgerSample)])];
        foreach (var position in sample)
        {
            // A replay reads the whole ledger, which a fast run makes long: a minute, not the request timeout.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(VerifyTimeout);
            try
            {
                using var response = await context.Http.PostAsync(
                    $"/api/v1/locations/{position.LocationId}/stock/{position.Sku}/verify", content: null, deadline.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    // A server from before the stock ledger: nothing to replay.
                    return (0, 0, 0);
                }

                var result = await response.Content.ReadFromJsonAsync(LoadJson.Default.VerifyResponse, deadline.Token).ConfigureAwait(false);
                verified++;
                if (result?.Status != "consistent")
                {
                    inconsistent++;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException
                || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                unreadable++;
            }
        }

        return (verified, inconsistent, unreadable);
    }

    private sealed record Position(string Sku, string LocationId);
}
