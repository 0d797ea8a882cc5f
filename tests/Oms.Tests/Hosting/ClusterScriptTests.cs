using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Hosting;

/// <summary>
/// <c>scripts/cluster.sh</c> as the README runs it (issue #17): real silo and API processes on loopback against one
/// PostgreSQL, found through <c>status</c>, killed with <c>kill -9</c>, and stopped by <c>down</c>.
/// </summary>
[Collection("postgres")]
public sealed partial class ClusterScriptTests(PostgresFixture postgres)
{
    [GeneratedRegex(@"^silo (\d+) (\d+) (\d+)$")]
    private static partial Regex SiloLine();

    [GeneratedRegex(@"^api (\d+) (http://127\.0\.0\.1:\d+)$")]
    private static partial Regex ApiLine();

    private static async Task<string> Script(string directory, string connectionString, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(OmsProcesses.RepositoryRoot(), "scripts", "cluster.sh"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["OMS_CLUSTER_DIR"] = directory;
        info.Environment["OMS_CLUSTER_NO_BUILD"] = "1";
        info.Environment["OMS_CLUSTER_CONFIGURATION"] = OmsProcesses.BuildConfiguration();
        info.Environment["ConnectionStrings__Oms"] = connectionString;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(patience.Token);
        Assert.True(process.ExitCode == 0, $"cluster.sh {string.Join(' ', args)} exited {process.ExitCode}:\n{await errors}\n{await output}");
        return await output;
    }

    private static bool Alive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        return File.Exists(stat) && !File.ReadAllText(stat).Split(") ")[^1].StartsWith('Z');
    }

    [Fact]
    public async Task Up_starts_silos_and_api_nodes_that_status_lists_a_killed_silo_leaves_and_down_stops_the_rest()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_cluster_script");
        var directory = Directory.CreateTempSubdirectory("oms-cluster-").FullName;
        try
        {
            await Script(directory, connectionString, "up", "2", "1");
            var lines = (await Script(directory, connectionString, "status")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var silos = lines.Select(l => SiloLine().Match(l)).Where(m => m.Success).ToList();
            var api = Assert.Single(lines.Select(l => ApiLine().Match(l)), m => m.Success);
            Assert.Equal(2, silos.Count);
            Assert.Equal(3, lines.Length);

            var key = Regex.Match(await File.ReadAllTextAsync(Path.Combine(directory, "env")), @"OMS_ADMIN_KEY=(\S+)").Groups[1].Value;
            using var http = new HttpClient { BaseAddress = new Uri(api.Groups[2].Value), Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
            var location = Network.Unique("WH");
            var put = await http.PutAsJsonAsync($"/api/v1/locations/{location}", new { name = "W", type = "warehouse", latitude = 1, longitude = 1 });
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);

            var victim = int.Parse(silos[0].Groups[1].Value);
            Process.GetProcessById(victim).Kill();
            await Eventually.Until(async () => await Script(directory, connectionString, "status"), s => !s.Contains($"silo {victim} ", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), "status no longer lists the killed silo");
            // The survivor takes over: the location written before the kill still reads.
            await Eventually.Until(async () => (await http.GetAsync($"/api/v1/locations/{location}")).StatusCode, s => s == HttpStatusCode.OK,
                TimeSpan.FromSeconds(60), "the API answers from the surviving silo");

            await Script(directory, connectionString, "down");
            Assert.Empty((await Script(directory, connectionString, "status")).Trim());
            Assert.All(silos.Select(m => int.Parse(m.Groups[1].Value)).Append(int.Parse(api.Groups[1].Value)), pid => Assert.False(Alive(pid), $"pid {pid} still runs"));
        }
        finally
        {
            await Script(directory, connectionString, "down");
            Directory.Delete(directory, recursive: true);
        }
    }
}
