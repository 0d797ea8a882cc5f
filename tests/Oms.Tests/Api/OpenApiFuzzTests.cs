using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsCheck;
using Oms.Api.Http;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Api;

/// <summary>
/// Every operation the OpenAPI document lists, sent requests that are invalid by construction over real Kestrel:
/// each must be refused with a 4xx RFC 9457 problem, and none may change the seeded stock, order, reservation,
/// hold or locations. The cases come from a fixed seed, so a failure is replayed exactly; set
/// <c>OMS_FUZZ_SEED</c> to explore others (and <c>OMS_FUZZ_CASES</c> for more per operation). Nothing generated is one
/// of the two requests Kestrel refuses itself with a bare 400 or 414 (a %00 in the path, a request line over 64 KiB),
/// the README's documented exceptions.
/// </summary>
[Collection("api")]
public sealed partial class OpenApiFuzzTests(ApiFixture fixture)
{
    private const string SeedVariable = "OMS_FUZZ_SEED";
    private const ulong DefaultSeed = 20261201;
    private const string CasesVariable = "OMS_FUZZ_CASES";
    private const int DefaultCasesPerOperation = 40;
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    // Of the valid id characters, so that a long id breaks only the length rule.
    private const string IdCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex PathParameter();

    private sealed record Operation(string Id, string Method, string Template, JsonArray Parameters, JsonNode? Body);

    private sealed record Case(string Method, string Url, IReadOnlyList<(string Name, string Value)> Headers, string? Body, string? ContentType, string Violation)
    {
        public override string ToString()
        {
            var text = new StringBuilder($"{Method} {Url}\n");
            foreach (var (name, value) in Headers)
            {
                text.Append($"{name}: {JsonSerializer.Serialize(value)}\n");
            }

            text.Append($"Content-Type: {ContentType ?? "(none)"}\n");
            if (Body is not null)
            {
                text.Append(Body.Length <= 4000 ? Body : $"{Body[..4000]}… ({Body.Length} characters)").Append('\n');
            }

            return text.Append($"violation: {Violation}").ToString();
        }
    }

    /// <summary>The seeded world: ids a mistaken acceptance would visibly change.</summary>
    private sealed record World(string Warehouse, string Boutique, string[] Skus, string Reservation, string Order, string Customer, string HoldSku, string Hold, string KeyId, string WebhookId)
    {
        public IEnumerable<(string Location, string Sku)> Positions =>
            Skus.Select(s => (Warehouse, s)).Concat(Skus.Take(2).Select(s => (Boutique, s)));
    }

    [Fact]
    public async Task Every_operation_refuses_invalid_requests_with_a_problem_and_changes_nothing()
    {
        var http = fixture.Kestrel();
        var seed = Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } given ? ulong.Parse(given) : DefaultSeed;
        // More cases per operation for a longer hunt; the default keeps the suite's run short.
        var casesPerOperation = Environment.GetEnvironmentVariable(CasesVariable) is { Length: > 0 } count ? int.Parse(count) : DefaultCasesPerOperation;
        var document = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!;
        var operations = Operations(document).ToList();
        Assert.True(operations.Count >= 27, $"only {operations.Count} operations documented");

        var world = await Seed(http);
        var before = await State(http, world);
        var current = JsonNode.Parse(before["/api/v1/sourcing/profiles/web-shipToHome"])!.AsObject();
        var profile = new JsonObject(current.Where(p => p.Key is "maxSplit" or "criteria" or "typePreference" or "allowShipFromBoutiques" or "allowBoutiqueTransfers")
            .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))).ToJsonString();
        Assert.All(before.Where(s => s.Key.EndsWith("/verify", StringComparison.Ordinal)), s => Assert.Contains("\"consistent\"", s.Value));

        var sent = 0;
        var untouched = new List<string>();
        foreach (var operation in operations)
        {
            var gen = CaseGen(operation, document, world, profile);
            if (gen is null)
            {
                untouched.Add($"{operation.Method} {operation.Template}");
                continue;
            }

            sent += await Run(http, gen, operation, casesPerOperation, Demand.Refusal, "admin");
        }

        // The same cases again without a key, and with a storefront key bound to the web channel only: none may
        // get past authentication or a policy into a change, and none may fail the server. An operation with no
        // parameter and no body is sent as it is, since a key's absence is itself the fault.
        using var anonymous = new HttpClient { BaseAddress = http.BaseAddress };
        using var storefront = new HttpClient { BaseAddress = http.BaseAddress }.WithKey(await StorefrontKey(http));
        foreach (var operation in operations)
        {
            var gen = CaseGen(operation, document, world, profile) ?? Gen.Const(Plain(operation, world));
            await Run(anonymous, gen, operation, KeylessCasesPerOperation, Demand.Unauthorized, "no key");
            await Run(storefront, gen, operation, KeylessCasesPerOperation, Demand.NoServerError, "storefront key for web");
        }

        // Only an operation with no parameter and no body has nothing that can be wrong; a new one must be fuzzed.
        Assert.Equal(["POST /api/v1/order-search/rebuild", "GET /api/v1/cluster/silos", "GET /api/v1/locations", "GET /api/v1/carriers", "GET /api/v1/api-keys", "GET /api/v1/webhooks"], untouched);
        Assert.Equal((operations.Count - untouched.Count) * casesPerOperation, sent);
        async Task<int> Run(HttpClient client, Gen<Case> gen, Operation operation, int count, Demand expect, string who)
        {
            // One stream per operation, by a stable hash of its id, so each replays alone whatever the others do.
            var pcg = new PCG(Fnv(operation.Id), seed);
            var cases = new List<Case>();
            var accepted = false;
            for (var i = 0; i < count; i++)
            {
                var @case = gen.Generate(pcg, null!, out _);
                cases.Add(@case);
                accepted |= await AssertRefused(client, @case, $"{SeedVariable}={seed}, {operation.Method} {operation.Template} case {i} ({who})", expect);
            }

            if (accepted)
            {
                // Only a refusal promises that nothing changed; the admin run refuses every case by construction.
                return count;
            }

            var after = await State(http, world);
            var changed = before.Where(s => after[s.Key] != s.Value).Select(s => $"{s.Key}\n  before: {s.Value}\n  after:  {after[s.Key]}").ToList();
            Assert.True(changed.Count == 0,
                $"{SeedVariable}={seed}: refused requests to {operation.Method} {operation.Template} ({who}) changed state:\n{string.Join("\n", changed)}\n" +
                $"requests sent:\n{string.Join("\n---\n", cases)}");
            return count;
        }
    }

    /// <summary>What each run demands of an answer.</summary>
    private enum Demand
    {
        /// <summary>With the admin key: a 4xx problem, the field named when the API itself refused.</summary>
        Refusal,

        /// <summary>Without a key: a 401 problem and a Bearer challenge (or the 414 of a request target refused before any credential is read).</summary>
        Unauthorized,

        /// <summary>With a narrow key: a 2xx, or a 4xx problem; never a 5xx.</summary>
        NoServerError,
    }

    /// <summary>The few cases per operation the key-less and the storefront runs send: they test the gate, not the validation again.</summary>
    private const int KeylessCasesPerOperation = 4;

    private static async Task<string> StorefrontKey(HttpClient admin)
    {
        using var response = await admin.PostAsync("/api/v1/api-keys", System.Net.Http.Json.JsonContent.Create(new { name = "fuzz storefront web", role = "storefront", channels = new[] { "web" } }));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return (string)JsonNode.Parse(text)!["key"]!;
    }

    /// <summary>An operation sent as it is, with valid path values, for an operation there is nothing to break in.</summary>
    private static Case Plain(Operation operation, World world) =>
        new(operation.Method, PathParameter().Replace(operation.Template, m => ValidPathValue(operation, m.Groups[1].Value, world)), [], null, null, "none");

    private static IEnumerable<Operation> Operations(JsonNode document) =>
        from path in document["paths"]!.AsObject()
        from method in Methods
        let operation = path.Value![method]
        where operation is not null
        select new Operation(
            (string)operation["operationId"]!,
            method.ToUpperInvariant(),
            path.Key,
            operation["parameters"]?.AsArray() ?? [],
            operation["requestBody"]?["content"]?["application/json"]?["schema"]);

    /// <returns>Whether the request was accepted (a 2xx, only allowed by <see cref="Demand.NoServerError"/>).</returns>
    private static async Task<bool> AssertRefused(HttpClient http, Case @case, string where, Demand expect = Demand.Refusal)
    {
        using var request = new HttpRequestMessage(new HttpMethod(@case.Method), @case.Url);
        foreach (var (name, value) in @case.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (@case.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(@case.Body));
            if (@case.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", @case.ContentType);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request);
        }
        catch (HttpRequestException ex)
        {
            Assert.Fail($"{where}: no response ({ex.InnerException?.Message ?? ex.Message})\nrequest:\n{@case}");
            throw;
        }

        using var _ = response;
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        string Failure(string what) =>
            $"{where}: {what}\nrequest:\n{@case}\nresponse: {status} {response.Content.Headers.ContentType}\n{(text.Length <= 4000 ? text : text[..4000] + "…")}";

        switch (expect)
        {
            case Demand.Unauthorized when status == 414 && @case.Url.Length > RequestTargetLimit.MaxLength:
                break;
            case Demand.Unauthorized:
                Assert.True(status == 401, Failure("expected a 401 without a key"));
                Assert.True(response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Bearer"), Failure("a 401 without a Bearer challenge"));
                break;
            case Demand.NoServerError:
                Assert.True(status is >= 200 and < 300 or >= 400 and < 500, Failure("expected a 2xx or a 4xx"));
                if (status < 300)
                {
                    return true;
                }

                break;
            default:
                Assert.True(status is >= 400 and < 500, Failure("expected a 4xx refusal"));
                break;
        }

        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", Failure("not application/problem+json"));
        JsonNode? problem = null;
        try
        {
            problem = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
        }

        Assert.True(problem is JsonObject, Failure("the problem is not a JSON object"));
        Assert.True(problem!["status"] is JsonValue s && s.TryGetValue<int>(out var echoed) && echoed == status, Failure("the problem's status is not the HTTP status"));
        Assert.True(!string.IsNullOrEmpty((string?)problem["title"]), Failure("the problem has no title"));
        if (status is 400 or 422)
        {
            // The API's own refusals name the field; only routing's 404, 405 and 415 have nothing more to name.
            Assert.True(problem["errors"] is JsonObject { Count: > 0 }, Failure("the refusal names no field in errors"));
        }

        if (status == 403)
        {
            Assert.True((string?)problem["missing"] is "role" or "channel" or "location", Failure("a 403 that does not say what the credential lacks"));
        }

        return false;
    }

    private static async Task<World> Seed(HttpClient http)
    {
        var warehouse = await Network.Warehouse(http);
        var boutique = Network.Unique("BQ");
        await Expect(http, HttpMethod.Put, $"/api/v1/locations/{boutique}",
            new { name = "Fuzz boutique", type = "boutique", latitude = 48.86, longitude = 2.34, countryCode = "FR", timeZone = "Europe/Paris" }, HttpStatusCode.Created);
        var skus = new[] { Network.Unique("BAG"), Network.Unique("SCARF"), Network.Unique("SHOE") };
        await Expect(http, HttpMethod.Put, $"/api/v1/locations/{warehouse}/stock",
            new { sequence = 1, items = skus.Select(sku => new { sku, onHand = 20 }) }, HttpStatusCode.OK);
        await Expect(http, HttpMethod.Put, $"/api/v1/locations/{boutique}/stock",
            new { sequence = 1, items = skus.Take(2).Select(sku => new { sku, onHand = 5 }) }, HttpStatusCode.OK);

        // Seven days, the longest allowed, so nothing ends by itself while the cases run.
        var reservation = Network.Unique("CHK");
        await Expect(http, HttpMethod.Post, "/api/v1/reservations",
            new { reservationId = reservation, lines = new[] { new { sku = skus[0], locationId = warehouse, quantity = 2 } }, ttlSeconds = 604_800 }, HttpStatusCode.Created);
        var hold = Network.Unique("DROP");
        await Expect(http, HttpMethod.Post, $"/api/v1/locations/{warehouse}/stock/{skus[2]}/holds",
            new { holdId = hold, quantity = 1, ttlSeconds = 604_800 }, HttpStatusCode.Created);

        var customer = Network.Unique("C");
        using var order = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = new StringContent(OrderBody(customer, skus[1]), Encoding.UTF8, "application/json"),
        };
        order.Headers.Add("Idempotency-Key", Network.Unique("checkout"));
        var placed = await http.SendAsync(order);
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var orderId = (string)JsonNode.Parse(await placed.Content.ReadAsStringAsync())!["orderId"]!;

        using var key = await http.PostAsync("/api/v1/api-keys", System.Net.Http.Json.JsonContent.Create(new { name = "fuzz integration", role = "integration" }));
        Assert.Equal(HttpStatusCode.Created, key.StatusCode);
        var keyId = (string)JsonNode.Parse(await key.Content.ReadAsStringAsync())!["apiKey"]!["keyId"]!;

        using var webhook = await http.PostAsync("/api/v1/webhooks", System.Net.Http.Json.JsonContent.Create(new { url = "https://hooks.example.com/fuzz", events = new[] { "reservation.expired" } }));
        Assert.Equal(HttpStatusCode.Created, webhook.StatusCode);
        var webhookId = (string)JsonNode.Parse(await webhook.Content.ReadAsStringAsync())!["webhookId"]!;

        return new World(warehouse, boutique, skus, reservation, orderId, customer, skus[2], hold, keyId, webhookId);
    }

    private static async Task Expect(HttpClient http, HttpMethod method, string url, object body, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(method, url) { Content = System.Net.Http.Json.JsonContent.Create(body, options: ApiFixture.Json) };
        var response = await http.SendAsync(request);
        Assert.True(response.StatusCode == status, $"{method} {url}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static string OrderBody(string customer, string sku) => $$$"""
        {"channel":"web","customer":{"customerId":"{{{customer}}}","email":"ada@example.com","name":"Ada L."},
         "lines":[{"lineId":"1","sku":"{{{sku}}}","quantity":1,"unitPrice":10,"currency":"EUR"}],
         "delivery":{"method":"shipToHome","address":{"line1":"1 Main St","city":"Paris","postalCode":"75001","countryCode":"FR","latitude":48.86,"longitude":2.34} } }
        """;

    /// <summary>What a mistaken acceptance would change, read the way a client reads it.</summary>
    private static async Task<Dictionary<string, string>> State(HttpClient http, World world)
    {
        var reads = world.Positions.Select(p => $"/api/v1/locations/{p.Location}/stock/{p.Sku}")
            .Concat(world.Skus.Select(s => $"/api/v1/availability/{s}"))
            .Concat([
                $"/api/v1/orders/{world.Order}", $"/api/v1/reservations/{world.Reservation}",
                $"/api/v1/locations/{world.Warehouse}/stock/{world.HoldSku}/holds/{world.Hold}",
                $"/api/v1/locations/{world.Warehouse}", $"/api/v1/locations/{world.Boutique}",
                $"/api/v1/customers/{world.Customer}/orders", "/api/v1/sourcing/profiles/web-shipToHome",
                $"/api/v1/api-keys/{world.KeyId}",
            ]);
        var state = new Dictionary<string, string>();
        foreach (var url in reads)
        {
            state[url] = await http.GetStringAsync(url);
        }

        foreach (var (location, sku) in world.Positions)
        {
            var url = $"/api/v1/locations/{location}/stock/{sku}/verify";
            var response = await http.PostAsync(url, null);
            state[url] = await response.Content.ReadAsStringAsync();
        }

        return state;
    }

    // ---- What each operation is sent: valid everywhere except at least one place, so any 2xx is a defect. ----

    private const string Placeholder = "@@FUZZ@@";

    /// <summary>Path values that break the id rule. Encoded dots are only for inner segments: Kestrel removes dot
    /// segments, and a last "." or ".." would legitimately address the parent resource.</summary>
    private static Gen<string> BadPathValue(bool last)
    {
        var encoded = new[] { " ", "!", "\"", "$", "&", "'", "(", ")", "*", "+", ",", ":", ";", "=", "@", "[", "]", "{", "}", "|", "^", "`",
            "<", ">", "é", "ß", "日本", "😀", "\u0001", "\u001f", "\u007f", "/", "\\", "?", "#", "%", "\u200b", "\u00a0" };
        var raw = new[] { "%zz", "%", "%2", "%C3%28", "%FF", "%2F", "%2F%2F", "%252E", "%20", "%09", "%20%20", "+", "%E2%80%AE", "%EF%BB%BF", "-", "_" };
        var gens = new List<(int, IGen<string>)>
        {
            (3, Gen.String[Gen.Char[IdCharacters], 65, 10_000].Select(s => "A" + s)),
            (4, Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 0, 8], Gen.OneOf(encoded), Gen.String[Gen.Char.AlphaNumeric, 0, 8],
                (a, bad, b) => Uri.EscapeDataString("A" + a + bad + b))),
            (2, Gen.Select(Gen.OneOf("-", "_", "."), Gen.String[Gen.Char.AlphaNumeric, 1, 8], (lead, rest) => lead + rest)),
            (3, Gen.OneOf(raw)),
        };
        if (!last)
        {
            gens.Add((1, Gen.OneOf("%2E", "%2E%2E", "%2e%2E")));
        }

        return Gen.Frequency(gens.ToArray());
    }

    /// <summary>Ids in a body or a query: the same breaks, not URL-encoded. No ',' or white space, which a list
    /// parameter would split or trim into valid ids.</summary>
    private static Gen<string> BadId() => Gen.Frequency(
        (3, Gen.String[Gen.Char[IdCharacters], 65, 10_000].Select(s => "A" + s)),
        (4, Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 0, 8],
            Gen.OneOf("!", "\"", "$", "&", "'", "*", "/", "\\", ":", ";", "<", "@", "é", "日本", "😀", "\u0000", "\u0001", "\u007f", "\u200b", "%"),
            Gen.String[Gen.Char.AlphaNumeric, 0, 8], (a, bad, b) => "A" + a + bad + b)),
        (2, Gen.Select(Gen.OneOf("-", "_", "."), Gen.String[Gen.Char.AlphaNumeric, 1, 8], (lead, rest) => lead + rest)),
        (2, Gen.OneOf("", ".", "..")));

    /// <summary>
    /// Bounds the document does not give but the README does; without them 0 or 91 would not be known invalid.
    /// </summary>
    private static (double Min, double Max)? DomainBounds(string name) => name switch
    {
        "quantity" => (1, 10_000),
        "latitude" or "lat" => (-90, 90),
        "longitude" or "lon" => (-180, 180),
        "radiusKm" => (0, 500),
        "limit" => (1, 50),
        _ => null,
    };

    /// <param name="name">A body field's name, for its domain bounds; null for a query parameter, whose bounds are all documented.</param>
    private static (double Min, double Max) Bounds(JsonNode schema, string? name)
    {
        var (typeMin, typeMax) = (string?)schema["format"] == "int32" ? (int.MinValue, int.MaxValue) : ((double)long.MinValue, (double)long.MaxValue);
        var documented = ((double?)schema["minimum"] ?? typeMin, (double?)schema["maximum"] ?? typeMax);
        return name is not null && DomainBounds(name) is { } domain ? (Math.Max(domain.Min, documented.Item1), Math.Min(domain.Max, documented.Item2)) : documented;
    }

    private static bool Types(JsonNode schema, string type) =>
        schema["type"] is JsonArray types ? types.Any(t => (string?)t == type) : (string?)schema["type"] == type;

    private static bool Nullable(JsonNode schema) =>
        Types(schema, "null") || (schema["oneOf"] is JsonArray any && any.Any(s => (string?)s!["type"] == "null"));

    private static JsonNode Resolve(JsonNode document, JsonNode schema)
    {
        while (true)
        {
            if (schema["$ref"] is { } reference)
            {
                schema = document["components"]!["schemas"]![((string)reference!).Split('/')[^1]]!;
            }
            else if (schema["oneOf"] is JsonArray any && any.FirstOrDefault(s => (string?)s!["type"] != "null") is { } some)
            {
                schema = some;
            }
            else
            {
                return schema;
            }
        }
    }

    /// <summary>JSON texts that the schema refuses: wrong types always, values beyond the bounds, broken ids.</summary>
    private static Gen<string>? BadValues(JsonNode document, JsonNode declared, string name)
    {
        var schema = Resolve(document, declared);
        var nullable = Nullable(declared) || Nullable(schema);
        var values = new List<string> { "[]", "{}" };
        if (!nullable)
        {
            values.Add("null");
        }

        if (schema["enum"] is JsonArray)
        {
            values.AddRange(["\"bogus-value\"", "\"\"", "0", "7", "true"]);
        }
        else if (Types(schema, "integer"))
        {
            var (min, max) = Bounds(schema, name);
            var edges = new[] { min - 1, max + 1, 0, -1, int.MaxValue, (double)int.MaxValue + 1, int.MinValue, long.MaxValue }
                .Where(v => v < min || v > max).Select(v => v is >= long.MaxValue ? "9223372036854775807" : ((decimal)v).ToString(System.Globalization.CultureInfo.InvariantCulture));
            values.AddRange(edges);
            values.AddRange(["0.5", "\"1\"", "1e400", "9223372036854775808", "-9223372036854775809", "true", "99999999999999999999999999"]);
        }
        else if (Types(schema, "number"))
        {
            if (DomainBounds(name) is { } bounds)
            {
                values.AddRange([(bounds.Min - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), (bounds.Max + 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }

            values.AddRange(["\"1\"", "\"NaN\"", "\"Infinity\"", "1e400", "-1e400", "true"]);
        }
        else if (Types(schema, "boolean"))
        {
            values.AddRange(["\"true\"", "1", "0"]);
        }
        else if (Types(schema, "string"))
        {
            values.AddRange(["1", "true", "0.5"]);
            if (schema["maxLength"] is { } maxLength && schema["pattern"] is null)
            {
                values.Add(JsonSerializer.Serialize(new string('x', (int)maxLength + 1)));
            }

            values.AddRange(name switch
            {
                "email" => ["\"not an email @ all\"", "\"a@b\\r\\nBcc: evil@x\""],
                "countryCode" => ["\"ZZ\"", "\"FRA\"", "\"\""],
                "name" or "line1" or "city" or "reason" => ["\"Ada\\u0000L.\"", "\"a\\r\\nb\"", "\"a\\u001bb\""],
                "open" or "close" => ["\"25:00\"", "\"10:60\"", "\"ten\""],
                "date" => ["\"2026-02-30\"", "\"25/12/2026\""],
                "timeZone" => ["\"Mars/Olympus\""],
                _ => [],
            });
            if (schema["pattern"] is not null)
            {
                return Gen.Frequency((1, Gen.OneOf(values.ToArray())), (2, BadId().Select(id => JsonSerializer.Serialize(id))));
            }
        }
        else if (Types(schema, "array"))
        {
            values.Remove("[]");
            values.AddRange(["\"x\"", "1"]);
            if ((int?)schema["minItems"] > 0 || name is "lines" or "items")
            {
                values.Add("[]");
            }
        }
        else if (Types(schema, "object"))
        {
            values.Remove("{}");
            values.AddRange(["\"x\"", "1"]);
        }

        return values.Count == 0 ? null : Gen.OneOf(values.ToArray());
    }

    /// <summary>Every node of the valid body with its schema: each is a place a violation can go.</summary>
    private static IEnumerable<(JsonNode Node, JsonNode Schema, string Name)> Places(JsonNode document, JsonNode node, JsonNode schema, string name)
    {
        yield return (node, schema, name);
        var resolved = Resolve(document, schema);
        if (node is JsonObject obj && (resolved["properties"] is JsonObject || resolved["additionalProperties"] is JsonObject))
        {
            foreach (var (key, value) in obj.ToList())
            {
                // A map (opening hours by day, safety stock by SKU) has one schema for every value.
                if (value is not null && (resolved["properties"]?[key] ?? resolved["additionalProperties"]) is { } property)
                {
                    foreach (var place in Places(document, value, property, key))
                    {
                        yield return place;
                    }
                }
            }
        }
        else if (node is JsonArray array && resolved["items"] is { } items)
        {
            foreach (var element in array.ToList())
            {
                foreach (var place in Places(document, element!, items, name))
                {
                    yield return place;
                }
            }
        }
    }

    /// <summary>The valid body with one node replaced by raw JSON text. The tree is changed and put back, so
    /// each case starts from the same valid body.</summary>
    private static string Replace(JsonNode root, JsonNode target, string raw)
    {
        if (ReferenceEquals(root, target))
        {
            return raw;
        }

        var parent = target.Parent!;
        string text;
        if (parent is JsonObject obj)
        {
            var key = target.GetPropertyName();
            obj[key] = Placeholder;
            text = root.ToJsonString();
            obj[key] = target;
        }
        else
        {
            var array = (JsonArray)parent;
            var index = target.GetElementIndex();
            array[index] = Placeholder;
            text = root.ToJsonString();
            array[index] = target;
        }

        return text.Replace($"\"{Placeholder}\"", raw);
    }

    private static Gen<(string Body, string Violation)> BadBody(JsonNode document, JsonNode schema, string valid)
    {
        var root = JsonNode.Parse(valid)!;
        var places = Places(document, root, schema, "body").ToList();
        var valued = places.Select(p => (p.Node, Values: BadValues(document, p.Schema, p.Name), Path: p.Node.GetPath()))
            .Where(p => p.Values is not null && !ReferenceEquals(p.Node, root)).ToList();
        var objects = places.Where(p => p.Node is JsonObject).Select(p => (JsonObject)p.Node).ToList();
        var required = places
            .Where(p => p.Node is JsonObject)
            .SelectMany(p => (Resolve(document, p.Schema)["required"]?.AsArray() ?? []).Select(r => (Object: (JsonObject)p.Node, Key: (string)r!)))
            .Where(r => r.Object.ContainsKey(r.Key)).ToList();
        var rootTypes = new List<string> { "[]", $"[{valid}]", "\"text\"", "42", "null", "true" };
        if (Resolve(document, schema)["required"] is JsonArray { Count: > 0 })
        {
            rootTypes.Add("{}");
        }

        var gens = new List<(int, IGen<(string, string)>)>
        {
            (2, Gen.Int[1, valid.Length - 1].Select(n => (valid[..n], $"truncated at {n}"))),
            (2, Gen.OneOf("{", "}", "[", "nul", "{'a':1}", valid[..^1] + ",}", valid + "x", valid + valid, "{\"a\":NaN}", "\u0000", valid.Replace(":", "="), "{\"a\":1}/*c*/")
                .Select(b => (b, "malformed JSON"))),
            (1, Gen.OneOf(rootTypes.ToArray()).Select(b => (b, "the body is not an object"))),
            (8, Gen.OneOf(valued.ToArray()).SelectMany(p => p.Values!.Select(v => (Replace(root, p.Node, v), $"{p.Path} = {Short(v)}")))),
            (2, Gen.OneOf(objects.ToArray()).SelectMany(o => Gen.Int[0, o.Count - 1].Select(i => (Duplicate(root, o, i), $"{o.GetPath()}.{o.ElementAt(i).Key} given twice")))),
            (1, Gen.Select(Gen.OneOf(valued.ToArray()), Gen.Int[17, 5_000], (p, depth) =>
                (Replace(root, p.Node, new string('[', depth) + new string(']', depth)), $"{p.Path} nested {depth} deep"))),
            (1, Gen.Int[JsonBody.MaxBytes + 1, JsonBody.MaxBytes + 100_000].Select(n => (valid[..^1] + $",\"padding\":\"{new string('x', n)}\"}}", $"body over {JsonBody.MaxBytes} bytes"))),
        };
        if (required.Count > 0)
        {
            gens.Add((2, Gen.OneOf(required.ToArray()).Select(r => (Remove(root, r.Object, r.Key), $"{r.Object.GetPath()}.{r.Key} missing"))));
        }

        return Gen.Frequency(gens.ToArray());
    }

    private static string Duplicate(JsonNode root, JsonObject target, int index)
    {
        var (key, value) = target.ElementAt(index);
        target[Placeholder] = null;
        var text = root.ToJsonString();
        target.Remove(Placeholder);
        return text.Replace($"\"{Placeholder}\":null", $"{JsonSerializer.Serialize(key)}:{value?.ToJsonString() ?? "null"}");
    }

    private static string Remove(JsonNode root, JsonObject target, string key)
    {
        var value = target[key];
        target.Remove(key);
        var text = root.ToJsonString();
        target[key] = value;
        return text;
    }

    /// <summary>Query texts the parameter's schema refuses; an empty value is left out, as it means "the default".</summary>
    private static Gen<string> BadQuery(JsonNode schema, string name)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        if (Types(schema, "integer") || Types(schema, "number"))
        {
            var integer = Types(schema, "integer");
            var (min, max) = integer ? Bounds(schema, name: null) : ((double?)schema["minimum"] ?? double.MinValue, (double?)schema["maximum"] ?? double.MaxValue);
            var candidates = new[] { min - 1, max + 1, 0, -1, 2147483648, 9223372036854775807 }
                .Where(v => v < min || v > max)
                .Select(v => v >= 9.2e18 ? "9223372036854775807" : ((decimal)v).ToString(culture))
                .Concat(["9223372036854775808", "NaN", "abc", "1e309", "-1e309", "Infinity", "-Infinity", "0x10", "1,5", "١", new string('9', 5_000)])
                .Concat(integer ? ["0.5", "1e3"] : [])
                .Where(v => !(double.TryParse(v, System.Globalization.NumberStyles.Float, culture, out var d) && double.IsFinite(d) && d >= min && d <= max
                    && (!integer || long.TryParse(v, System.Globalization.NumberStyles.Integer, culture, out _))));
            return Gen.OneOf(candidates.ToArray()).Select(Uri.EscapeDataString);
        }

        // Free text, e-mail addresses and instants are not ids: what they refuse is their own.
        return name switch
        {
            "view" => Gen.OneOf("bogus", "onlinex", "store,online", "😀").Select(Uri.EscapeDataString),
            "sort" => Gen.OneOf("bogus", "Oldest", "oldestx", "newest,oldest", "asc", "-created", "😀").Select(Uri.EscapeDataString),
            "q" or "name" => Gen.OneOf(new string('x', 201), "a\u0001b", "\u007f", "tab\there").Select(Uri.EscapeDataString),
            "email" => Gen.OneOf("not-an-email", "a@", "@example.com", "a b@example.com", new string('a', 250) + "@example.com").Select(Uri.EscapeDataString),
            "createdFrom" or "createdTo" or "from" or "to" => Gen.OneOf("yesterday", "2026-13-45", "2026-12-01T25:00:00Z", "😀").Select(Uri.EscapeDataString),
            _ => BadId().Where(id => id.Length > 0).Select(Uri.EscapeDataString),
        };
    }

    private static Gen<string> BadIdempotencyKey() => Gen.OneOf(
        Gen.Const(""),
        Gen.String[Gen.Char.AlphaNumeric, 129, 2_000],
        Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 20], Gen.OneOf(" ", "\t", "\u0001", "\u001f", "\u007f", "\u0008"), Gen.String[Gen.Char.AlphaNumeric, 1, 20],
            (a, bad, b) => a + bad + b));

    private static string ValidPathValue(Operation operation, string name, World world) => name switch
    {
        "locationId" => operation.Template.StartsWith("/api/v1/boutiques", StringComparison.Ordinal) ? world.Boutique : world.Warehouse,
        "sku" => operation.Template.Contains("/holds", StringComparison.Ordinal) ? world.HoldSku : world.Skus[0],
        "holdId" => world.Hold,
        "reservationId" => world.Reservation,
        "orderId" => world.Order,
        "customerId" => world.Customer,
        "profileId" => "web-shipToHome",
        "carrierId" => "FUZZ-CARRIER",
        "keyId" => world.KeyId,
        "webhookId" => world.WebhookId,
        "deliveryId" => "1",
        "fulfilmentId" => "F1",
        // The order's first return and refund, which need not exist: an allowed role then meets a 404.
        "returnId" => $"{world.Order}~R1",
        "refundId" => $"{world.Order}~F1",
        _ => throw new InvalidOperationException($"{operation.Id}: no valid value known for path parameter {name}"),
    };

    /// <summary>Query parameters an operation needs to be valid at all; a violation then goes into one of them.</summary>
    private static Dictionary<string, string> ValidQuery(Operation operation, World world) => operation.Id == "getPickupOptions"
        ? new() { ["sku"] = world.Skus[0], ["quantity"] = "1", ["lat"] = "48.85", ["lon"] = "2.35", ["radiusKm"] = "50", ["limit"] = "10" }
        : [];

    /// <summary>
    /// A body that would be accepted and change the seeded world, so that a violation the API misses shows.
    /// </summary>
    private static string? ValidBody(Operation operation, World world, string profile) => operation.Id switch
    {
        // Every optional field too, so each is a place a violation can go.
        "upsertLocation" => """
            {"name":"Renamed by a refused request","type":"warehouse","latitude":1.5,"longitude":2.5,"countryCode":"IT","timeZone":"Europe/Rome",
             "address":{"line1":"Via dei Condotti 8","city":"Roma","postalCode":"00187","line2":"Piano 1","region":"RM"},
             "capabilities":["shipToCustomer","receivesTransfers"],"status":"active","priority":10,"dailyShipCapacity":20,"pickupPreparationMinutes":30,
             "openingHours":{"monday":[{"open":"10:00","close":"19:00"}]},"openingExceptions":[{"date":"2026-12-25","closed":true}],
             "onlineSafetyStock":{"default":1,"skus":{"BAG-001":2}},
             "orderCutoff":"15:00","processingDays":1,"carrierServices":[{"carrierId":"DHL","serviceId":"express"}]}
            """,
        "upsertCarrier" => """
            {"name":"Fuzz Express","services":[{"serviceId":"express","transitDays":{"default":3,"FR":1},
              "deliveryDays":["monday","tuesday","wednesday","thursday","friday"],"pickupDays":["monday","friday"],
              "distanceBands":[{"upToKm":30,"transitDays":0},{"upToKm":500,"transitDays":1}],"deliveryWindowDays":1}],
             "holidays":{"FR":["2026-12-25","2027-01-01"]}}
            """,
        "promiseBasket" => $$"""
            {"lines":[{"sku":"{{world.Skus[0]}}","quantity":1}],"channel":"web",
             "destination":{"countryCode":"FR","postalCode":"75001","latitude":48.86,"longitude":2.34,"timeZone":"Europe/Paris"} }
            """,
        "promiseListing" => $$"""
            {"skus":["{{world.Skus[0]}}","{{world.Skus[1]}}"],"channel":"web",
             "destination":{"countryCode":"FR","postalCode":"75001","latitude":48.86,"longitude":2.34,"timeZone":"Europe/Paris"} }
            """,
        "applyStockSnapshot" => $$"""{"sequence":2,"reset":false,"items":[{"sku":"{{world.Skus[0]}}","onHand":7,"safetyStock":1}]}""",
        "applyStockAdjustment" => $$"""{"adjustmentId":"ADJ-FUZZ-1","locationId":"{{world.Warehouse}}","sku":"{{world.Skus[0]}}","delta":1,"reason":"fuzz"}""",
        "placeStockHold" => """{"holdId":"DROP-FUZZ-1","quantity":1,"ttlSeconds":600}""",
        "queryAvailability" => $$"""{"skus":["{{world.Skus[0]}}","{{world.Skus[1]}}"]}""",
        "createReservation" => $$"""{"reservationId":"CHK-FUZZ-1","lines":[{"sku":"{{world.Skus[0]}}","locationId":"{{world.Warehouse}}","quantity":1}],"ttlSeconds":600}""",
        "getBasketPickupOptions" => $$"""{"lines":[{"sku":"{{world.Skus[0]}}","quantity":1}],"lat":48.85,"lon":2.35,"radiusKm":50,"limit":5}""",
        "placeOrder" or "simulateSourcing" => JsonNode.Parse(OrderBody(world.Customer, world.Skus[1]))!.ToJsonString(),
        "cancelOrder" => """{"reason":"customer changed mind","lines":[{"lineId":"1","quantity":1}]}""",
        "changePickupLocation" => $$"""{"locationId":"{{world.Boutique}}","reason":"customer moved"}""",
        "addOrderNote" => """{"text":"Customer asked for gift wrap.","author":"care:agent-7"}""",
        "reportFulfilmentEvent" => """{"eventId":"fuzz-1","type":"shipped","carrier":"DHL","service":"express","trackingNumber":"JD0001","trackingUrl":"https://dhl.example/JD0001","lines":[{"lineId":"1","quantity":1}]}""",
        "authoriseReturn" => $$"""{"lines":[{"lineId":"1","quantity":1,"reason":"doesNotFit"}],"method":"shipBack","locationId":"{{world.Warehouse}}","note":"too small"}""",
        "createExchange" => $$"""{"lines":[{"lineId":"1","quantity":1,"newSku":"{{world.Skus[0]}}","unitPrice":100,"reason":"doesNotFit"}],"mode":"advance","method":"shipBack","locationId":"{{world.Warehouse}}"}""",
        "receiveReturn" => $$"""{"eventId":"fuzz-1","locationId":"{{world.Warehouse}}","lines":[{"lineId":"1","quantity":1,"condition":"resellable"}]}""",
        "reportRefundEvent" => """{"eventId":"fuzz-1","type":"succeeded","reference":"psp-1"}""",
        "putSourcingProfile" => profile,
        "createApiKey" => """{"name":"fuzz storefront","role":"storefront","channels":["web"],"locationIds":[],"expiresAt":null}""",
        "rotateApiKey" => """{"graceSeconds":60}""",
        "createWebhook" => """{"url":"https://hooks.example.com/fuzz","events":["order.*","stock.low"],"description":"fuzz"}""",
        "updateWebhook" => """{"url":"https://hooks.example.com/fuzz-2","events":["order.placed"],"status":"disabled"}""",
        "rotateWebhookSecret" => """{"graceSeconds":60}""",
        "replayWebhook" => """{"fromPosition":1}""",
        _ when operation.Body is not null => throw new InvalidOperationException($"{operation.Id}: no valid body known"),
        _ => null,
    };

    private static Gen<Case>? CaseGen(Operation operation, JsonNode document, World world, string profile)
    {
        var pathNames = PathParameter().Matches(operation.Template).Select(m => m.Groups[1].Value).ToList();
        var path = pathNames.ToDictionary(n => n, n => ValidPathValue(operation, n, world));
        var query = ValidQuery(operation, world);
        var headers = operation.Parameters.Any(p => (string?)p!["in"] == "header" && (string?)p["name"] == "Idempotency-Key")
            ? new Dictionary<string, string> { ["Idempotency-Key"] = $"fuzz-{operation.Id}" }
            : [];
        var body = ValidBody(operation, world, profile);

        Case Build(string violation, IReadOnlyDictionary<string, string>? pathOverride = null, (string Name, string Value)? queryOverride = null,
            IReadOnlyDictionary<string, string?>? headerOverride = null, string? bodyOverride = null, string? contentType = "application/json")
        {
            var url = PathParameter().Replace(operation.Template, m => pathOverride?.GetValueOrDefault(m.Groups[1].Value) ?? path[m.Groups[1].Value]);
            var parameters = query.Select(q => (q.Key, Value: Uri.EscapeDataString(q.Value))).Where(q => q.Key != queryOverride?.Name).ToList();
            if (queryOverride is { } bad)
            {
                parameters.Add((bad.Name, bad.Value));
            }

            if (parameters.Count > 0)
            {
                url += "?" + string.Join("&", parameters.Select(p => $"{p.Item1}={p.Item2}"));
            }

            var sentHeaders = headers.Select(h => (h.Key, Value: (string?)h.Value)).ToDictionary(h => h.Key, h => h.Value);
            foreach (var (name, value) in headerOverride ?? new Dictionary<string, string?>())
            {
                sentHeaders[name] = value;
            }

            return new Case(operation.Method, url, sentHeaders.Where(h => h.Value is not null).Select(h => (h.Key, h.Value!)).ToList(),
                bodyOverride ?? body, body is null && bodyOverride is null ? null : contentType, violation);
        }

        var gens = new List<(int, IGen<Case>)>();
        foreach (var name in pathNames)
        {
            var last = operation.Template.EndsWith($"{{{name}}}", StringComparison.Ordinal);
            gens.Add((4, BadPathValue(last).Select(v => Build($"path {name} = {Short(v)}", pathOverride: new Dictionary<string, string> { [name] = v }))));
        }

        foreach (var parameter in operation.Parameters.Where(p => (string?)p!["in"] == "query"))
        {
            var name = (string)parameter!["name"]!;
            gens.Add((3, BadQuery(parameter["schema"]!, name).Select(v => Build($"query {name} = {Short(v)}", queryOverride: (name, v)))));
            if (Types(parameter["schema"]!, "integer"))
            {
                gens.Add((1, Gen.Const(Build($"query {name} given twice", queryOverride: (name, $"1&{name}=2")))));
            }
        }

        if (headers.Count > 0)
        {
            gens.Add((3, BadIdempotencyKey().Select(k => Build($"Idempotency-Key = {JsonSerializer.Serialize(Short(k))}",
                headerOverride: new Dictionary<string, string?> { ["Idempotency-Key"] = k }))));
            if (operation.Id == "placeOrder")
            {
                // A checkout with neither a key nor an orderId could not be retried safely.
                gens.Add((1, Gen.Const(Build("no Idempotency-Key and no orderId", headerOverride: new Dictionary<string, string?> { ["Idempotency-Key"] = null }))));
            }
        }

        if (body is not null)
        {
            gens.Add((10, BadBody(document, operation.Body!, body).Select(b => Build($"body: {b.Violation}", bodyOverride: b.Body,
                // The API answers 413 without reading an announced oversized body, and Kestrel then drops the
                // connection rather than drain it; a client that reused it would see a reset, not the next answer.
                headerOverride: b.Body.Length > JsonBody.MaxBytes ? new Dictionary<string, string?> { ["Connection"] = "close" } : null))));
            gens.Add((2, Gen.OneOf<string?>("text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", null)
                .Select(type => Build($"Content-Type {type ?? "missing"}", contentType: type))));
        }

        return gens.Count == 0 ? null : Gen.Frequency(gens.ToArray());
    }

    /// <summary>A violation's value as the case's label shows it; the request itself is printed whole.</summary>
    private static string Short(string value) => value.Length > 80 ? value[..80] + "…" : value;

    private static uint Fnv(string text)
    {
        var hash = 2166136261;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash;
    }
}
