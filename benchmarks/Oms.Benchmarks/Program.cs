using BenchmarkDotNet.Running;

namespace Oms.Benchmarks;

public static class Program
{
    /// <summary>BenchmarkDotNet's switcher, or <c>auth-paired [pairs] [requests per block] [kestrel]</c> for the interleaved
    /// authentication-overhead measurement (see <see cref="Http.AuthenticationOverheadBenchmarks.RunPairedAsync"/>), or
    /// <c>feed-lag [samples] [postgres]</c> (see <see cref="Events.FeedLagBenchmark"/>), or
    /// <c>events-overhead [pairs] [calls per block]</c> (see <see cref="Events.SubscriptionOverheadBenchmark"/>), or
    /// <c>lifecycle-http [pairs] [orders per block] [kestrel]</c> (see <see cref="Fulfilment.LifecycleHttpBenchmark"/>), or
    /// <c>fulfilment-paired [pairs] [calls per block]</c> (see <see cref="Fulfilment.FulfilmentEventBenchmarks.RunPairedAsync"/>), or
    /// <c>returns-paired [pairs]</c> (see <see cref="Returns.ReturnBenchmarks.RunPairedAsync"/>), or
    /// <c>search-lag [samples] [writers] [postgres]</c> (see <see cref="Orders.SearchLagBenchmark"/>), or
    /// <c>console-pages [iterations]</c> (see <see cref="Http.ConsolePagesBenchmark"/>), or
    /// <c>promise-listing [pairs] [seconds per block] [clients]</c> (see <see cref="Http.PromiseListingHttpBenchmark"/>).</summary>
    public static void Main(string[] args)
    {
        if (args is ["auth-paired", ..])
        {
            var pairs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100;
            var perBlock = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200;
            var kestrel = args.Contains("kestrel");
            Http.AuthenticationOverheadBenchmarks.RunPairedAsync(pairs, perBlock, Console.Out, kestrel).GetAwaiter().GetResult();
            return;
        }

        if (args is ["promise-listing", ..])
        {
            var pairs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 6;
            var seconds = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
            var clients = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 16;
            Http.PromiseListingHttpBenchmark.RunAsync(pairs, TimeSpan.FromSeconds(seconds), clients, Console.Out).GetAwaiter().GetResult();
            return;
        }

        if (args is ["feed-lag", ..])
        {
            var samples = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 500;
            Events.FeedLagBenchmark.RunAsync(samples, args.Contains("postgres"), Console.Out).GetAwaiter().GetResult();
            return;
        }

        if (args is ["events-overhead", ..])
        {
            var pairs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30;
            var perBlock = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200;
            Events.SubscriptionOverheadBenchmark.RunAsync(pairs, perBlock, Console.Out).GetAwaiter().GetResult();
            return;
        }

        if (args is ["lifecycle-http", ..])
        {
            var pairs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30;
            var perBlock = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 50;
            Fulfilment.LifecycleHttpBenchmark.RunAsync(pairs, perBlock, Console.Out, args.Contains("kestrel")).GetAwaiter().GetResult();
            return;
        }

        if (args is ["fulfilment-paired", ..])
        {
            var pairs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20;
            var perBlock = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 50;
            Fulfilment.FulfilmentEventBenchmarks.RunPairedAsync(pairs, perBlock, Console.Out).GetAwaiter().GetResult();
            return;
        }

        if (args is ["returns-paired", ..])
        {
            var pairs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20;
            Returns.ReturnBenchmarks.RunPairedAsync(pairs, Console.Out).GetAwaiter().GetResult();
            return;
        }

        if (args is ["search-lag", ..])
        {
            var samples = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000;
            var writers = args.Length > 2 && int.TryParse(args[2], System.Globalization.CultureInfo.InvariantCulture, out var w) ? w : 4;
            Orders.SearchLagBenchmark.RunAsync(samples, writers, args.Contains("postgres"), Console.Out).GetAwaiter().GetResult();
            return;
        }

        if (args is ["console-pages", ..])
        {
            var iterations = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300;
            Http.ConsolePagesBenchmark.RunAsync(iterations, Console.Out).GetAwaiter().GetResult();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
