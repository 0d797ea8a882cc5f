using System.Diagnostics;
using Oms.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Oms.Tests.Faults;

/// <summary>
/// A deployment, on real processes: three silos and two API nodes on PostgreSQL under mixed load, each silo in
/// turn stopped with SIGTERM as an orchestrator does, a replacement started and waited for until it is active,
/// then the next. Unlike a crash, a planned restart must cost no client anything: the clients here send every
/// request once and count any answer other than an acknowledgement or a refusal as a failure.
/// </summary>
[Collection(ProcessFaultCollection.Name)]
public sealed class RollingRestartTests(PostgresFixture postgres, ITestOutputHelper output)
{
    /// <summary>More than the other rigs: this run is longer, and stock that lasts keeps writes, not only refusals, going through the restarts.</summary>
    private const int SpreadUnits = 40;
    private const int Workers = 8;

    /// <summary>A stopped silo hands its grains off and leaves the cluster within this, or the restart is not graceful.</summary>
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);

    /// <summary>A replacement is active in the membership table within this.</summary>
    private static readonly TimeSpan JoinWithin = TimeSpan.FromSeconds(60);

    /// <summary>Load before the first stop and after the last replacement joined, so both edges are measured.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Stopping_each_silo_in_turn_with_SIGTERM_under_load_fails_no_request()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_rolling_restart");
        var database = new DatabaseFaults(postgres.Server, connectionString);
        await using var rig = await FaultRig.StartAsync(connectionString, silos: 3, apis: 2, spreadUnits: SpreadUnits);
        var (processes, load, warehouse) = (rig.Processes, rig.Load, rig.Warehouse);
        foreach (var silo in processes.Silos)
        {
            await WaitActive(database, processes.ClusterId, silo, processes);
        }

        var clock = Stopwatch.StartNew();
        var steps = new List<(string Name, TimeSpan At)>();
        var restarts = new List<string>();
        var running = Enumerable.Range(0, Workers)
            .Select(w => Task.Run(() => load.Run(warehouse, w, clock, TimeSpan.FromMinutes(5), retryFor: TimeSpan.Zero)))
            .ToList();
        try
        {
            await Task.Delay(Settle);
            foreach (var old in processes.Silos.ToList())
            {
                var began = clock.Elapsed;
                steps.Add(($"SIGTERM to silo {old.SiloPort}", began));
                var exitCode = await old.Terminate(Drain);
                var exited = clock.Elapsed;
                Assert.True(exitCode == 0, $"silo {old.SiloPort} exited {exitCode?.ToString() ?? $"not at all within {Drain.TotalSeconds} s"}:\n{processes.Logs()}");

                var replacement = processes.StartSilo();
                steps.Add(($"replacement silo {replacement.SiloPort} starts", exited));
                await WaitActive(database, processes.ClusterId, replacement, processes);
                restarts.Add($"silo {old.SiloPort}: exited 0 after {(exited - began).TotalSeconds:0.0} s, replacement active {(clock.Elapsed - exited).TotalSeconds:0.0} s later");
            }

            await Task.Delay(Settle);
        }
        finally
        {
            load.Stop();
            await Task.WhenAll(running);
        }

        var report = $"{load.Report(steps)}{string.Join("\n", restarts)}";
        output.WriteLine(report);
        var because = rig.Because(report);

        Assert.True(load.FailedAttempts == 0, $"no request failed during a rolling restart: {because}");
        Assert.True(load.Undecided == 0, $"every operation was decided on its first request: {because}");
        await load.VerifyEverythingAcknowledgedAndNothingElse(warehouse, because);
    }

    /// <summary>Active in the membership table: other silos route to it and, on their next refresh, clients use it as a gateway.</summary>
    private static async Task WaitActive(DatabaseFaults database, string clusterId, OmsProcess silo, OmsProcesses processes)
    {
        var deadline = DateTime.UtcNow + JoinWithin;
        while (await database.Scalar(
                   $"SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = '{clusterId}' AND port = {silo.SiloPort} AND status = 3") == 0)
        {
            if (DateTime.UtcNow > deadline || silo.Process.HasExited)
            {
                throw new InvalidOperationException($"Silo {silo.SiloPort} never became active.\n{processes.Logs()}");
            }

            await Task.Delay(200);
        }
    }
}
