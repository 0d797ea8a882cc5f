using System.Globalization;

namespace Oms.Capacity;

public enum CapacityCommand
{
    Memory,
    Cold,
}

/// <summary>The command line, parsed once; every measurement reads its settings from here.</summary>
public sealed record CapacityArguments(
    CapacityCommand Command,
    int Items,
    int Concurrency,
    string MarkdownPath,
    TimeSpan Timeout,
    TimeSpan Hold,
    IReadOnlyList<string> CommandLine)
{
    public const string Usage = """
        Usage:
          dotnet run -c Release --project benchmarks/Oms.Capacity -- memory [--items 1000000] [options]
          dotnet run -c Release --project benchmarks/Oms.Capacity -- cold   [--items 20000]   [options]

        memory  bytes of managed heap per active stock item, and the time to activate them all
        cold    latency of the first read of persisted stock items, on a first start and after a silo restart

        Options:
          --items N            stock positions to load and read (memory: 1000000, cold: 20000)
          --concurrency N      reads in flight (memory: 256, cold: 32)
          --markdown PATH      where to write the result (capacity-<command>-<items>.md)
          --timeout-minutes N  the whole run stops after this, cleaning up its PostgreSQL (memory: 60, cold: 15)
          --hold-seconds N     memory only: keep the silo up this long after sampling, e.g. for dotnet-gcdump (0)
        """;

    public static CapacityArguments Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            throw new FormatException("Name a measurement: memory or cold.");
        }

        var command = args[0] switch
        {
            "memory" => CapacityCommand.Memory,
            "cold" => CapacityCommand.Cold,
            var other => throw new FormatException($"Unknown measurement '{other}'."),
        };

        var memory = command == CapacityCommand.Memory;
        var items = memory ? 1_000_000 : 20_000;
        var concurrency = memory ? 256 : 32;
        var timeout = TimeSpan.FromMinutes(memory ? 60 : 15);
        var hold = TimeSpan.Zero;
        string? markdown = null;
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new FormatException($"{name} needs a value.");
            }

            var value = args[++i];
            switch (name)
            {
                case "--items":
                    items = Positive(name, value);
                    break;
                case "--concurrency":
                    concurrency = Positive(name, value);
                    break;
                case "--markdown":
                    markdown = value;
                    break;
                case "--hold-seconds":
                    hold = TimeSpan.FromSeconds(Positive(name, value));
                    break;
                case "--timeout-minutes":
                    timeout = TimeSpan.FromMinutes(Positive(name, value));
                    break;
                default:
                    throw new FormatException($"Unknown option '{name}'.");
            }
        }

        markdown ??= $"capacity-{args[0]}-{items.ToString(CultureInfo.InvariantCulture)}.md";
        return new CapacityArguments(command, items, concurrency, markdown, timeout, hold, [.. args]);
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var parsed) && parsed > 0
            ? parsed
            : throw new FormatException($"{name} must be a positive whole number, not '{value}'.");
}
