using System.Diagnostics;
using Oms.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Oms.Tests.Faults;

/// <summary>
/// An operator restarts PostgreSQL under a sale, on real processes: two silos and two API nodes, mixed load from
/// clients that retry with their own ids, and a fast shutdown of the server with it down for a few seconds before
/// it comes back on the same port. Every answer meanwhile is an acknowledgement, a refusal or a 503 that says when
/// to retry, within the request budget; the service comes back by itself; nothing acknowledged is lost and
/// nothing unacknowledged appears.
/// </summary>
/// <remarks>
/// On a server of its own: restarting the suite's shared server (or the one <c>OMS_TEST_POSTGRES</c> names)
/// would fail whatever else uses it.
/// </remarks>
[Collection(ProcessFaultCollection.Name)]
public sealed class DatabaseRestartTests(ITestOutputHelper output)
{
    private const int Workers = 8;
    private static readonly TimeSpan LoadFor = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RestartAt = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan DownFor = TimeSpan.FromSeconds(4);

    /// <summary>The API's request budget (10 s) and a margin for a loaded machine: an attempt slower than this hung.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(12);

    /// <summary>Back within this of the server accepting connections again: pools and grains recover by themselves.</summary>
    private static readonly TimeSpan RecoverWithin = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_PostgreSQL_restart_under_load_answers_503_with_Retry_After_recovers_by_itself_and_loses_nothing()
    {
        await using var server = await PostgresServer.StartLocalAsync();
        var connectionString = await server.CreateDatabaseAsync("oms_pg_restart");
        await Oms.Grains.Hosting.SchemaInstaller.ApplyAsync(connectionString);
        await using var rig = await FaultRig.StartAsync(connectionString, silos: 2, apis: 2);
        var (load, warehouse) = (rig.Load, rig.Warehouse);

        var clock = Stopwatch.StartNew();
        var running = Enumerable.Range(0, Workers)
            .Select(w => Task.Run(() => load.Run(warehouse, w, clock, LoadFor, retryFor: TimeSpan.FromSeconds(45))))
            .ToList();
        await Task.Delay(RestartAt);
        var steps = new List<(string Name, TimeSpan At)> { ("pg_ctl restart -m fast, down " + DownFor.TotalSeconds + " s", clock.Elapsed) };
        await server.RestartAsync(DownFor);
        var back = clock.Elapsed;
        steps.Add(("PostgreSQL accepts connections again", back));
        await Task.WhenAll(running);

        var report = load.Report(steps);
        output.WriteLine(report);
        var because = rig.Because(report);

        Assert.True(load.FailedAttempts > 0, $"the restart was felt, or this test proves nothing: {because}");
        Assert.True(load.ServerErrors == 0, $"no 500 while the database restarts: {because}");
        Assert.True(load.Unanswered == 0 && load.SlowestFailure < Budget,
            $"every attempt answered within the request budget, slowest failure {load.SlowestFailure.TotalSeconds:0.0} s: {because}");
        Assert.True(load.UnavailableWithoutRetryAfter == 0, $"every 503 says when to retry: {because}");
        Assert.True(load.LastFailure - back < RecoverWithin,
            $"service back by itself within {RecoverWithin.TotalSeconds} s of the database, last failure {(load.LastFailure - back).TotalSeconds:0.0} s after: {because}");
        Assert.True(load.Undecided == 0, $"every operation decided once the database was back: {because}");
        await load.VerifyEverythingAcknowledgedAndNothingElse(warehouse, because);
    }
}
