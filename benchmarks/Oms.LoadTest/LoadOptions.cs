using System.Globalization;
using System.Security.Cryptography;

namespace Oms.LoadTest;

internal sealed record LoadOptions
{
    public const int MaxUnitsPerPosition = 1_000_000;

    public Uri Url { get; init; } = new("http://127.0.0.1:5080");
    public string? Scenario { get; init; }
    public double Rate { get; init; } = -1;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);
    public int ConcurrencyCap { get; init; } = 512;
    public long? Requests { get; init; }
    public bool Seed { get; init; }
    public int Catalogue { get; init; } = 100_000;
    public int Locations { get; init; } = 20;
    public int SeedParallelism { get; init; } = 4;
    public int? Stock { get; init; }
    /// <summary>Positions the spread and basket scenarios stock; null for each scenario's own default.</summary>
    public int? SpreadItems { get; init; }

    /// <summary>Orders fulfilment-events creates before it measures; it reports accept and ship on each.</summary>
    public int Orders { get; init; } = 8_000;
    public string? Markdown { get; init; }
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public int RandomSeed { get; init; } = 1;

    /// <summary>Sent as <c>Authorization: Bearer</c> on every request: setup, read-back and, unless
    /// <see cref="TrafficKey"/> or <see cref="MintStorefrontKey"/> says otherwise, the measured traffic. From the
    /// environment by default, so that a script need not put a secret on a command line others can read.</summary>
    public string? Key { get; init; } = FromEnvironment("OMS_API_KEY");

    /// <summary>The key the measured requests carry instead of <see cref="Key"/>.</summary>
    public string? TrafficKey { get; init; } = FromEnvironment("OMS_TRAFFIC_KEY");

    /// <summary>Create a storefront key (channels web and app) with <see cref="Key"/>, which must then be an admin
    /// key, and send the measured traffic with it, as a storefront back end would.</summary>
    public bool MintStorefrontKey { get; init; }

    /// <summary>Prefixes the SKUs and reservation ids a run creates, so runs against the same durable store never
    /// see each other's holds and oversell can be counted exactly against what this run seeded.</summary>
    public string RunTag { get; init; } = "r" + DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture)
        + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));

    public bool ClosedLoop => Rate == 0;

    public const string Usage = """
        Oms.LoadTest: drives the OMS HTTP API at a constant arrival rate (open model) or as fast as N connections allow (closed model).

          --url URL                 API base address (default http://127.0.0.1:5080)
          --seed                    register the locations and seed the catalogue through the API (idempotent), then run --scenario if given
          --scenario NAME           health | availability | hold-hot | reserve-hot | hold-spread | reserve-spread | reserve-3line |
                                    cnc-options | order-hot | checkout-3line | fulfilment-events | all
          --rate R                  requests per second (open model); 0 = closed loop, as fast as the connections allow
          --duration S              measured seconds per scenario (default 20)
          --warmup S                unrecorded seconds before measuring (default 5)
          --concurrency-cap N       most requests in flight; in the open model a request due while N are in flight is dropped
          --connections N           same as --concurrency-cap (with --rate 0: N closed-loop connections)
          --requests N              stop after N requests in all (warm-up included), even before --duration ends
          --catalogue N             SKUs in the availability catalogue (default 100000)
          --locations N             locations every catalogue SKU is stocked at (default 20)
          --seed-parallelism N      snapshot calls in flight while seeding (default 4)
          --stock N                 units on hand at each position the hold scenarios stock (default 1000000, the API's maximum)
          --spread-items N          positions hold-spread (default 10000), reserve-spread (20000) and reserve-3line (10000) pick from
          --orders N                orders fulfilment-events creates first, two events each (default 8000); the run ends
                                    early when their events are all sent
          --timeout S               per-request timeout (default 10)
          --random-seed N           seed of the request mix (default 1)
          --run-tag TAG             prefix of the SKUs and reservation ids this run creates (default: time-based)
          --markdown FILE           append the results as a markdown table
          --key KEY                 API key sent as 'Authorization: Bearer KEY' on every request (default: env OMS_API_KEY);
                                    seeding registers locations, which takes an admin key
          --traffic-key KEY         another key for the measured requests only (default: env OMS_TRAFFIC_KEY, else --key)
          --mint-storefront-key     create a storefront key (channels web, app) with the admin --key through
                                    POST /api/v1/api-keys, and send the measured requests with it
        """;

    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        var options = new LoadOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            string Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"{arg} needs a value.");
                }

                return args[++i];
            }

            options = arg switch
            {
                "--url" => options with { Url = ParseUrl(Value()) },
                "--scenario" => options with { Scenario = Value() },
                "--rate" => options with { Rate = ParseDouble(arg, Value(), 0, 10_000_000) },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(ParseDouble(arg, Value(), 0.1, 3600)) },
                "--warmup" => options with { Warmup = TimeSpan.FromSeconds(ParseDouble(arg, Value(), 0, 3600)) },
                "--concurrency-cap" or "--connections" => options with { ConcurrencyCap = ParseInt(arg, Value(), 1, 100_000) },
                "--requests" => options with { Requests = ParseInt(arg, Value(), 1, int.MaxValue) },
                "--seed" => options with { Seed = inline is null || bool.Parse(inline) },
                "--catalogue" => options with { Catalogue = ParseInt(arg, Value(), 1, 10_000_000) },
                "--locations" => options with { Locations = ParseInt(arg, Value(), 1, 100) },
                "--seed-parallelism" => options with { SeedParallelism = ParseInt(arg, Value(), 1, 256) },
                "--stock" => options with { Stock = ParseInt(arg, Value(), 0, MaxUnitsPerPosition) },
                "--spread-items" => options with { SpreadItems = ParseInt(arg, Value(), 1, 1_000_000) },
                "--orders" => options with { Orders = ParseInt(arg, Value(), 1, 1_000_000) },
                "--timeout" => options with { RequestTimeout = TimeSpan.FromSeconds(ParseDouble(arg, Value(), 0.1, 600)) },
                "--random-seed" => options with { RandomSeed = ParseInt(arg, Value(), int.MinValue, int.MaxValue) },
                "--run-tag" => options with { RunTag = ParseTag(Value()) },
                "--markdown" => options with { Markdown = Value() },
                "--key" => options with { Key = ParseKey(arg, Value()) },
                "--traffic-key" => options with { TrafficKey = ParseKey(arg, Value()) },
                "--mint-storefront-key" => options with { MintStorefrontKey = inline is null || bool.Parse(inline) },
                "--help" or "-h" => throw new UsageException(null),
                _ => throw new UsageException($"Unknown option {arg}."),
            };
        }

        if (options.Scenario is null && !options.Seed)
        {
            throw new UsageException("Give --scenario, --seed, or both.");
        }

        if (options.Scenario is not null && options.Rate < 0)
        {
            throw new UsageException("--rate is required with --scenario (0 for closed loop).");
        }

        if (options.MintStorefrontKey && options.Key is null)
        {
            throw new UsageException("--mint-storefront-key needs an admin --key (or OMS_API_KEY) to create the key with.");
        }

        return options;
    }

    private static string? FromEnvironment(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    // Only what an HTTP header value may carry, so that a pasted key with a newline fails here, not on every request.
    private static string ParseKey(string name, string text) =>
        text.Length is > 0 and <= 4_096 && text.All(c => c is > ' ' and <= '~')
            ? text
            : throw new UsageException($"{name} must be 1 to 4096 visible ASCII characters.");

    private static Uri ParseUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new UsageException($"--url must be an absolute http(s) address, not '{text}'.");

    private static string ParseTag(string text) =>
        text.Length is > 0 and <= 16 && text.All(char.IsAsciiLetterOrDigit)
            ? text
            : throw new UsageException("--run-tag must be 1 to 16 letters or digits (it becomes part of SKU and reservation ids).");

    private static double ParseDouble(string name, string text, double min, double max) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{name} must be a number between {min} and {max}, not '{text}'.");

    private static int ParseInt(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{name} must be a whole number between {min} and {max}, not '{text}'.");
}

/// <summary>A bad command line. <see cref="Problem"/> is null when only the usage text was asked for.</summary>
internal sealed class UsageException(string? problem) : Exception(problem ?? "usage requested")
{
    public string? Problem { get; } = problem;
}
