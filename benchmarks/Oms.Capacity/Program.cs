namespace Oms.Capacity;

/// <summary>
/// Capacity measurements that BenchmarkDotNet cannot express: a million live grains, and first reads of
/// persisted stock. Each prints one result line and writes the same result as markdown.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        CapacityArguments arguments;
        try
        {
            arguments = CapacityArguments.Parse(args);
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n\n{CapacityArguments.Usage}");
            return 2;
        }

        using var cancellation = new CancellationTokenSource(arguments.Timeout);

        // Ctrl+C cancels instead of killing the process, so the throwaway PostgreSQL is still stopped and deleted.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var report = arguments.Command switch
            {
                CapacityCommand.Memory => await MemoryMeasurement.RunAsync(arguments, cancellation.Token),
                CapacityCommand.Catalogue => await CatalogueMeasurement.RunAsync(arguments, cancellation.Token),
                _ => await ColdReadMeasurement.RunAsync(arguments, cancellation.Token),
            };

            var path = Path.GetFullPath(arguments.MarkdownPath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, report.Markdown, CancellationToken.None);
            Console.WriteLine(report.ResultLine);
            Console.WriteLine($"markdown: {path}");
            return 0;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync(
                $"Stopped: the run reached its limit of {arguments.Timeout.TotalMinutes:0} min (--timeout-minutes) or was interrupted.");
            return 3;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
