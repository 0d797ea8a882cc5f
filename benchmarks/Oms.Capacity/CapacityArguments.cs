using System.Globalization;

namespace Oms.Capacity;

public enum CapacityCommand
{
    Memory,
    Cold,
    Catalogue,
}

/// <summary>The command line, parsed once; every measurement reads its settings from here.</summary>
public sealed record CapacityArguments(
    CapacityCommand Command,
    int Items,
    int Locations,
    int Hot,
    int Reads,
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
          DOTNET_GCHeapHardLimit=0x100000000 \
          dotnet run -c Release --project benchmarks/Oms.Capacity -- catalogue [--items 10000000] [options]

        memory     bytes of managed heap per active stock item, and the time to activate them all
        cold       latency of the first read of persisted stock items, on a first start and after a silo restart
        catalogue  a catalogue far larger than the heap: the flash-sale working set's heap, then random first reads
                   over the whole catalogue, with the hot set read between them, under the silo's heap budget

        Options:
          --items N            stock positions to load and read (memory: 1000000, cold: 20000, catalogue: 10000000)
          --locations N        locations the positions are spread over (20; catalogue: 200)
          --hot N              catalogue only: the flash sale's items, whole SKUs at every location (100000)
          --reads N            catalogue only: random first reads over the rest of the catalogue (400000)
          --concurrency N      reads in flight (memory: 256, cold: 32, catalogue: 8)
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
            "catalogue" => CapacityCommand.Catalogue,
            var other => throw new FormatException($"Unknown measurement '{other}'."),
        };

        var memory = command == CapacityCommand.Memory;
        var catalogue = command == CapacityCommand.Catalogue;
        var items = memory ? 1_000_000 : catalogue ? 10_000_000 : 20_000;
        var locations = catalogue ? 200 : 20;
        var hot = 100_000;
        var reads = 400_000;
        var concurrency = memory ? 256 : catalogue ? 8 : 32;
        var timeout = TimeSpan.FromMinutes(memory || catalogue ? 60 : 15);
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
                case "--locations":
                    locations = Positive(name, value);
                    break;
                case "--hot":
                    hot = Positive(name, value);
                    break;
                case "--reads":
                    reads = Positive(name, value);
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

        if (catalogue && hot + reads > items)
        {
            throw new FormatException($"--hot and --reads together ({hot + reads}) must not exceed --items ({items}): every catalogue read is a first read.");
        }

        markdown ??= $"capacity-{args[0]}-{items.ToString(CultureInfo.InvariantCulture)}.md";
        return new CapacityArguments(command, items, locations, hot, reads, concurrency, markdown, timeout, hold, [.. args]);
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var parsed) && parsed > 0
            ? parsed
            : throw new FormatException($"{name} must be a positive whole number, not '{value}'.");
}
