using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Oms.Tests.Infrastructure;

/// <summary>
/// Real silo and API processes on loopback against one PostgreSQL database: the production shape, started from
/// the built binaries with <c>dotnet &lt;dll&gt;</c> (not <c>dotnet run</c>, whose child would outlive a kill), so a
/// kill is a kill -9 of the very process that serves.
/// </summary>
/// <param name="clusterId">The cluster and service id; a fresh one by default. Given, a second set of processes is the
/// same service restarted: Orleans keys grain state by service id, so only then does it find the first one's.</param>
public sealed class OmsProcesses(string? connectionString, string? clusterId = null) : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly List<OmsProcess> _started = [];
    private readonly string _logs = Directory.CreateTempSubdirectory("oms-processes-").FullName;
    private readonly string _clusterId = clusterId ?? Network.Unique("cluster");

    public string ClusterId => _clusterId;

    public IReadOnlyList<OmsProcess> Silos => [.. _started.Where(p => p.Kind == "silo" && !p.Killed)];

    public OmsProcess StartSilo()
    {
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        return Start("silo", "Silo", "Oms.Silo.dll", siloPort, gatewayPort, null,
            $"--Orleans:SiloPort={siloPort}", $"--Orleans:GatewayPort={gatewayPort}", "--Orleans:AdvertisedIPAddress=127.0.0.1");
    }

    /// <summary>An API process with <paramref name="args"/>, not waited for.</summary>
    public OmsProcess StartApiProcess(params string[] args)
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        return Start("api", "Api", "Oms.Api.dll", 0, 0, url, [.. args, $"--urls={url}"]);
    }

    /// <summary>A stateless API node in front of the silos, once it is ready.</summary>
    public async Task<OmsProcess> StartApi()
    {
        var api = StartApiProcess("--Oms:Hosting=client");
        var url = api.Url!;
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline || api.Process.HasExited)
            {
                throw new InvalidOperationException($"The API at {url} never became ready.\n{Logs()}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>The last lines every process wrote, for a failure message.</summary>
    public string Logs() => string.Join("\n", _started.Select(p =>
        $"--- {p.Kind} {p.Process.Id} ---\n" + string.Join("\n", File.Exists(p.LogPath) ? File.ReadLines(p.LogPath).TakeLast(30) : [])));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _started.Where(p => !p.Killed))
        {
            process.Kill();
        }

        foreach (var process in _started)
        {
            await process.Process.WaitForExitAsync();
            process.Process.Dispose();
        }

        // Set it to read a failed run's whole logs; the failure message carries their tails either way.
        if (Environment.GetEnvironmentVariable("OMS_KEEP_PROCESS_LOGS") is not { Length: > 0 })
        {
            try
            {
                Directory.Delete(_logs, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private OmsProcess Start(string kind, string project, string dll, int siloPort, int gatewayPort, Uri? url, params string[] args)
    {
        var binaries = Path.Combine(RepositoryRoot(), "src", project, "bin", BuildConfiguration(), "net10.0");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = binaries, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(binaries, dll));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        if (connectionString is not null)
        {
            info.Environment["ConnectionStrings__Oms"] = connectionString;
        }

        info.Environment["Orleans__ClusterId"] = _clusterId;
        info.Environment["Orleans__ServiceId"] = _clusterId;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        // A fault is read across several processes' logs: only the clock lines them up.
        info.Environment["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ";
        if (Environment.GetEnvironmentVariable("OMS_KEEP_PROCESS_LOGS") is { Length: > 0 })
        {
            // Joins, leaves and the table's view of each silo: what a slow restart is diagnosed from.
            info.Environment["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information";
        }
        info.Environment["Oms__Security__BootstrapAdminKey"] = TestKeys.Admin;
        info.Environment["DOTNET_gcServer"] = "0";

        var log = Path.Combine(_logs, $"{kind}-{_started.Count}.log");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {dll}.");
        var writer = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(writer, e.Data);
        process.ErrorDataReceived += (_, e) => Write(writer, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = new OmsProcess(kind, process, siloPort, gatewayPort, url, log);
        _started.Add(started);
        return started;
    }

    private static void Write(StreamWriter writer, string? line)
    {
        if (line is not null)
        {
            lock (writer)
            {
                writer.WriteLine(line);
            }
        }
    }

    /// <summary>A loopback port nothing listens on now: bound and released, so a process can take it or a client be refused.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The tests run from tests/Oms.Tests/bin/{configuration}/net10.0, built with the same configuration as the hosts.</summary>
    internal static string BuildConfiguration() => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Oms.Orleans.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Oms.Orleans.sln not found above the test binaries.");
    }
}

public sealed class OmsProcess(string kind, Process process, int siloPort, int gatewayPort, Uri? url, string logPath)
{
    public string Kind { get; } = kind;
    public Process Process { get; } = process;
    public int SiloPort { get; } = siloPort;
    public int GatewayPort { get; } = gatewayPort;
    public Uri? Url { get; } = url;
    public string LogPath { get; } = logPath;
    public bool Killed { get; private set; }

    /// <summary>Everything the process wrote so far; read while it still writes.</summary>
    public string Output()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>SIGKILL: no shutdown, no goodbye to the cluster, exactly what a crashed node does.</summary>
    public void Kill()
    {
        Killed = true;
        try
        {
            Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>
    /// SIGTERM, what an orchestrator sends before it stops a node: the host shuts down gracefully (Orleans hands
    /// its grains off and leaves the cluster) and the process exits by itself.
    /// </summary>
    /// <returns>The exit code, or null if the process had not exited within <paramref name="drain"/> (it is then killed).</returns>
    public async Task<int?> Terminate(TimeSpan drain)
    {
        Killed = true;
        if (kill(Process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill -TERM {Process.Id} failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        using var timeout = new CancellationTokenSource(drain);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
            return Process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            return null;
        }
    }

    private const int SigTerm = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
