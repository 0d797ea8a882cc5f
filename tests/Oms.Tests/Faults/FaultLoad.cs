using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Oms.Tests.Faults;

/// <summary>
/// Clients that behave as a storefront should: every operation carries its own id, and on a 503, a timeout or
/// a broken connection the very same request is sent again (to any API node) until it is decided.
/// </summary>
public sealed class Load(HttpClient http, IReadOnlyList<Uri> apis)
{
    private readonly ConcurrentBag<Operation> _operations = [];
    private readonly ConcurrentBag<(TimeSpan At, int Status)> _failures = [];
    private readonly ConcurrentDictionary<int, int> _statuses = new();
    private int _next;
    private volatile bool _stopped;
    private readonly ConcurrentQueue<string> _failureSamples = new();

    /// <summary>Every failed attempt: a status that is neither an acknowledgement nor a refusal (0 for no answer).</summary>
    public int FailedAttempts => _failures.Count;

    /// <summary>When, on the run's clock, the last attempt failed (zero if none did).</summary>
    public TimeSpan LastFailure => _failures.IsEmpty ? TimeSpan.Zero : _failures.Max(f => f.At);

    /// <summary>Clients finish the operation they are deciding and start no other.</summary>
    public void Stop() => _stopped = true;

    private int _withoutRetryAfter;
    private long _slowestFailureTicks;

    /// <summary>503s that did not say when to retry: a client must never have to guess.</summary>
    public int UnavailableWithoutRetryAfter => _withoutRetryAfter;

    /// <summary>The longest a client waited for an answer that was not an acknowledgement or a refusal.</summary>
    public TimeSpan SlowestFailure => TimeSpan.FromTicks(Interlocked.Read(ref _slowestFailureTicks));

    public int ServerErrors => _statuses.Where(s => s.Key >= 500 && s.Key != 503).Sum(s => s.Value);

    public int Undecided => _operations.Count(o => o.Outcome == Outcome.Undecided);

    /// <summary>Requests that got no answer within the client's timeout: the API must answer 503 long before.</summary>
    public int Unanswered => _statuses.GetValueOrDefault(0);

    public enum Outcome { Undecided, Acknowledged, Refused }

    public sealed record Operation(string Kind, string Id, string[] Skus)
    {
        public Outcome Outcome { get; set; }
        public string? OrderId { get; set; }
        public TimeSpan Started { get; set; }
        public TimeSpan Decided { get; set; }
    }

    public async Task<string> Seed(int hotUnits, int spreadSkus, int spreadUnits)
    {
        var warehouse = $"WH-F-{Guid.NewGuid():N}"[..20];
        await Send(HttpMethod.Put, $"/api/v1/locations/{warehouse}",
            """{"name":"Fault warehouse","type":"warehouse","latitude":48.9,"longitude":2.4,"countryCode":"FR"}""", expect: true);
        var items = new List<object> { new { sku = "HOT", onHand = hotUnits } };
        items.AddRange(Enumerable.Range(0, spreadSkus).Select(i => new { sku = $"S{i}", onHand = spreadUnits }));
        items.AddRange(Enumerable.Range(0, 12).Select(i => new { sku = $"EXP{i}", onHand = 1 }));
        await Send(HttpMethod.Put, $"/api/v1/locations/{warehouse}/stock",
            System.Text.Json.JsonSerializer.Serialize(new { sequence = 1, items }), expect: true);
        _spreadSkus = spreadSkus;

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var (status, body) = await Send(HttpMethod.Get, $"/api/v1/availability/S{spreadSkus - 1}", null);
            if (status == 200 && (int)body!["available"]! == spreadUnits)
            {
                return warehouse;
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException("The seeded stock never showed in the network view.");
    }

    private int _spreadSkus;

    /// <returns>Each expiring hold's stock key and the expiry it was acknowledged with.</returns>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> PlaceExpiringHolds(string warehouse, int count, TimeSpan ttl)
    {
        var placed = new Dictionary<string, DateTimeOffset>();
        for (var i = 0; i < count; i++)
        {
            var (status, body) = await Send(HttpMethod.Post, $"/api/v1/locations/{warehouse}/stock/EXP{i}/holds",
                $$"""{"holdId":"exp-{{i}}","quantity":1,"ttlSeconds":{{(int)ttl.TotalSeconds}}}""");
            if (status != 201)
            {
                throw new InvalidOperationException($"Expiring hold {i} answered {status}: {body}");
            }

            placed[$"EXP{i}@{warehouse}"] = DateTimeOffset.Parse((string)body!["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        }

        return placed;
    }

    /// <param name="retryFor">How long a client repeats a failed operation; zero sends each once, so every failure counts.</param>
    public async Task Run(string warehouse, int worker, Stopwatch clock, TimeSpan duration, TimeSpan retryFor)
    {
        var random = new Random(worker);
        for (var n = 0; clock.Elapsed < duration && !_stopped; n++)
        {
            var id = $"w{worker}-{n}";
            var spread = $"S{random.Next(_spreadSkus)}";
            var operation = random.Next(4) switch
            {
                0 => new Operation("hold", id, ["HOT"]),
                1 => new Operation("hold", id, [spread]),
                2 => new Operation("reservation", id, [spread, $"S{(int.Parse(spread[1..]) + 1) % _spreadSkus}"]),
                _ => new Operation("order", id, [spread]),
            };
            _operations.Add(operation);
            await Decide(operation, warehouse, clock, retryFor);

            // Half the orders are then accepted by the warehouse, so a location's report rides through the faults too.
            if (operation is { Kind: "order", Outcome: Outcome.Acknowledged, OrderId: { } orderId } && random.Next(2) == 0)
            {
                var accept = new Operation("accept", id, operation.Skus) { OrderId = orderId };
                _operations.Add(accept);
                await Decide(accept, warehouse, clock, retryFor);
            }
        }
    }

    private async Task Decide(Operation operation, string warehouse, Stopwatch clock, TimeSpan retryFor)
    {
        var (method, path, body, key) = operation.Kind switch
        {
            "hold" => (HttpMethod.Post, $"/api/v1/locations/{warehouse}/stock/{operation.Skus[0]}/holds",
                $$"""{"holdId":"{{operation.Id}}","quantity":1,"ttlSeconds":3600}""", (string?)null),
            "accept" => (HttpMethod.Post, $"/api/v1/orders/{operation.OrderId}/fulfilments/F1/events",
                $$"""{"eventId":"accept-{{operation.Id}}","type":"accepted"}""", null),
            "reservation" => (HttpMethod.Post, "/api/v1/reservations",
                $$"""{"reservationId":"{{operation.Id}}","ttlSeconds":3600,"lines":[{"sku":"{{operation.Skus[0]}}","locationId":"{{warehouse}}","quantity":1},{"sku":"{{operation.Skus[1]}}","locationId":"{{warehouse}}","quantity":1}]}""", null),
            _ => (HttpMethod.Post, "/api/v1/orders", $$"""
                {"channel":"web","customer":{"customerId":"C-FAULT","email":"ada@example.com","name":"Ada"},
                 "lines":[{"lineId":"1","sku":"{{operation.Skus[0]}}","quantity":1,"unitPrice":10,"currency":"EUR"}],
                 "delivery":{"method":"shipToHome","address":{"line1":"1 Main St","city":"Paris","postalCode":"75001","countryCode":"FR","latitude":48.86,"longitude":2.34} } }
                """, operation.Id),
        };

        operation.Started = clock.Elapsed;
        var giveUp = clock.Elapsed + retryFor;
        do
        {
            var (status, answer) = await Send(method, path, body, key);
            operation.Decided = clock.Elapsed;
            if (status is 200 or 201)
            {
                operation.Outcome = Outcome.Acknowledged;
                operation.OrderId ??= (string?)answer?["orderId"];
                return;
            }

            if (status == 409)
            {
                operation.Outcome = Outcome.Refused;
                return;
            }

            _failures.Add((clock.Elapsed, status));
            _failureSamples.Enqueue($"{clock.Elapsed.TotalSeconds:0.0} s {operation.Kind} {operation.Id}: {status} {answer?["title"] ?? answer?["detail"]}");
            if (status is not (503 or 0))
            {
                // Anything else (a 500, a 4xx for a valid request) is a defect, not something to retry.
                return;
            }

            if (retryFor <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(200);
        }
        while (clock.Elapsed < giveUp);
    }

    /// <summary>Every unit the server holds or has allocated is one a client was told about, and the reverse.</summary>
    public async Task VerifyEverythingAcknowledgedAndNothingElse(string warehouse, string because)
    {
        var acknowledged = _operations.Where(o => o.Outcome == Outcome.Acknowledged).ToList();
        var skus = _operations.SelectMany(o => o.Skus).Distinct().ToList();
        foreach (var sku in skus)
        {
            var (_, level) = await Send(HttpMethod.Get, $"/api/v1/locations/{warehouse}/stock/{sku}", null);
            var reserved = acknowledged.Count(o => o.Kind is "hold" or "reservation" && o.Skus.Contains(sku));
            var allocated = acknowledged.Count(o => o.Kind == "order" && o.Skus.Contains(sku));
            Assert.True((int)level!["reserved"]! == reserved && (int)level["allocated"]! == allocated,
                $"{sku}: the server has reserved {level["reserved"]} and allocated {level["allocated"]}, clients were told {reserved} and {allocated}: {because}");
            Assert.True((int)level["reserved"]! + (int)level["allocated"]! <= (int)level["onHand"]!, $"{sku} is oversold: {because}");
            var (_, verification) = await Send(HttpMethod.Post, $"/api/v1/locations/{warehouse}/stock/{sku}/verify", null);
            Assert.True((string?)verification!["status"] == "consistent", $"{sku} ledger: {verification}: {because}");
        }

        await Parallel.ForEachAsync(_operations.Where(o => o.Outcome != Outcome.Undecided), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (o, _) =>
        {
            var path = o.Kind switch
            {
                "hold" => $"/api/v1/locations/{warehouse}/stock/{o.Skus[0]}/holds/{o.Id}",
                "reservation" => $"/api/v1/reservations/{o.Id}",
                "accept" => $"/api/v1/orders/{o.OrderId}/fulfilments/F1",
                _ => o.OrderId is { } orderId ? $"/api/v1/orders/{orderId}" : null,
            };
            if (path is null)
            {
                return;
            }

            var (status, body) = await Send(HttpMethod.Get, path, null);
            if (o.Outcome == Outcome.Acknowledged)
            {
                // An order its warehouse accepted is in fulfilment; the acceptance itself reads as the fulfilment's status.
                var expected = o.Kind switch
                {
                    "order" => _operations.Any(a => a is { Kind: "accept", Outcome: Outcome.Acknowledged } && a.OrderId == o.OrderId) ? "inFulfilment" : "allocated",
                    "accept" => "accepted",
                    _ => "held",
                };
                Assert.True(status == 200 && (string?)body!["status"] == expected, $"acknowledged {o.Kind} {o.Id} reads {status} {body}: {because}");
            }
            else
            {
                Assert.True(status == 404, $"refused {o.Kind} {o.Id} must not exist, but reads {status} {body}: {because}");
            }
        });
    }

    public string Report(IReadOnlyList<(string Name, TimeSpan At)> faults)
    {
        var text = new StringBuilder();
        text.AppendLine($"operations {_operations.Count}: " + string.Join(", ", _operations.GroupBy(o => (o.Kind, o.Outcome))
            .OrderBy(g => g.Key.Kind).Select(g => $"{g.Key.Kind} {g.Key.Outcome.ToString().ToLowerInvariant()} {g.Count()}")));
        text.AppendLine("decided per 5 s (count, slowest): " + string.Join(", ", _operations.Where(o => o.Outcome != Outcome.Undecided)
            .GroupBy(o => (int)(o.Started.TotalSeconds / 5)).OrderBy(g => g.Key)
            .Select(g => $"{g.Key * 5}-{g.Key * 5 + 5} s: {g.Count()} ({g.Max(o => o.Decided - o.Started).TotalSeconds:0.0} s)")));
        text.AppendLine("statuses: " + string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "no answer" : s.Key)} ×{s.Value}")));
        text.AppendLine($"slowest failed attempt {SlowestFailure.TotalSeconds:0.0} s; 503s without Retry-After: {UnavailableWithoutRetryAfter}");
        for (var i = 0; i < faults.Count; i++)
        {
            var (name, at) = faults[i];
            var until = i + 1 < faults.Count ? faults[i + 1].At : TimeSpan.MaxValue;
            var failed = _failures.Where(f => f.At >= at && f.At < until).ToList();
            var recovered = failed.Count == 0 ? "none failed" : $"the last failed {(failed.Max(f => f.At) - at).TotalSeconds:0.0} s after";
            text.AppendLine($"at {at.TotalSeconds:0.0} s, {name}: {failed.Count} failed attempts (retried), {recovered}");
        }

        foreach (var sample in _failureSamples.Take(20))
        {
            text.AppendLine($"  failed: {sample}");
        }

        return text.ToString();
    }

    private async Task<(int Status, JsonNode? Body)> Send(HttpMethod method, string path, string? body, string? idempotencyKey = null, bool expect = false)
    {
        var api = apis[Interlocked.Increment(ref _next) % apis.Count];
        using var request = new HttpRequestMessage(method, new Uri(api, path));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        int status;
        JsonNode? json = null;
        var sent = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request);
            status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            json = text.Length > 0 ? JsonNode.Parse(text) : null;
            if (status == 503 && response.Headers.RetryAfter is null)
            {
                Interlocked.Increment(ref _withoutRetryAfter);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            status = 0;
        }

        if (status is not (200 or 201 or 409))
        {
            var took = sent.Elapsed.Ticks;
            for (var slowest = Interlocked.Read(ref _slowestFailureTicks); took > slowest; slowest = Interlocked.Read(ref _slowestFailureTicks))
            {
                if (Interlocked.CompareExchange(ref _slowestFailureTicks, took, slowest) == slowest)
                {
                    break;
                }
            }
        }

        _statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
        if (expect && status is not (200 or 201))
        {
            throw new InvalidOperationException($"{method} {path} answered {status}: {json}");
        }

        return (status, json);
    }
}
