using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Oms.Grains.Diagnostics;
using Orleans.TestingHost;

namespace Oms.Tests.Hosting;

/// <summary>
/// A healthy silo starts without Orleans' watchdog warning that its participant check stalled for the machine's
/// uptime. Without the silo clock the warning comes from a race on the watchdog's first tick (seen on every start of
/// the API on this machine, on about half of the test-cluster starts), so the regression is pinned on the clock itself.
/// </summary>
public sealed class SiloClockTests
{
    private const string StallWarning = "Participant check thread has not completed";

    private sealed class Capture : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Warnings { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Warnings.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }

    private static async Task<IReadOnlyCollection<string>> StartAndWatch(bool siloClock)
    {
        var capture = new Capture();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<ILoggerProvider>(capture);
            if (siloClock)
            {
                silo.UseSiloClock();
            }
        });

        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        // The platform watchdog ticks every second; its first tick is where the false stall was seen.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        return capture.Warnings;
    }

    [Fact]
    public async Task A_silo_starts_without_a_false_participant_stall_warning()
    {
        var warnings = await StartAndWatch(siloClock: true);

        Assert.DoesNotContain(warnings, w => w.Contains(StallWarning, StringComparison.Ordinal));
    }

    [Fact]
    public void A_stamp_never_set_reads_as_a_moment_ago_not_as_the_machines_uptime()
    {
        // What the watchdog's first tick computes: the time since a component-check stamp still at zero.
        Assert.InRange(new SiloClock().GetElapsedTime(0), TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.True(TimeProvider.System.GetElapsedTime(0) > TimeSpan.FromSeconds(1), "the system clock counts from boot");
    }

    [Fact]
    public async Task The_silo_clock_is_the_one_membership_and_the_watchdog_resolve()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.UseSiloClock());
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        Assert.IsType<SiloClock>(cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<TimeProvider>(Orleans.Runtime.TimeProviderNames.Membership));
    }
}
