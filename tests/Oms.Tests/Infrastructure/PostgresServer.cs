using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Oms.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server for integration tests: either the one named by <c>OMS_TEST_POSTGRES</c>,
/// or a throwaway server started from the locally installed binaries and deleted on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string EnvironmentVariable = "OMS_TEST_POSTGRES";

    private const string HowToFix =
        "To fix: install PostgreSQL (apt-get install -y postgresql) or set OMS_TEST_POSTGRES to a connection string.";

    // The Debian postgresql package creates this account; initdb and postgres refuse to run as root.
    private const string ServiceUser = "postgres";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    // Port probing and binding are not atomic, so another process may grab the port in between.
    private const int MaxStartAttempts = 3;

    private const int LogTailLines = 40;

    private readonly Lock _gate = new();
    private readonly List<string> _createdDatabases = [];
    private readonly Throwaway? _throwaway;
    private int _disposed;

    // A null throwaway means the server is external (OMS_TEST_POSTGRES) and is not ours to stop.
    private PostgresServer(string connectionString, Throwaway? throwaway)
    {
        ConnectionString = connectionString;
        _throwaway = throwaway;
    }

    /// <summary>Connection string to the server's maintenance database.</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresServer> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return await UseExternalServerAsync(configured);
        }

        return await StartThrowawayServerAsync();
    }

    /// <summary>
    /// A server of the caller's own from the local binaries, even when <see cref="EnvironmentVariable"/> names a
    /// shared one: only a server the test started may be restarted under it.
    /// </summary>
    public static Task<PostgresServer> StartLocalAsync() => StartThrowawayServerAsync();

    /// <summary>
    /// What an operator's <c>pg_ctl restart</c> does, on the same port: a fast shutdown (every session is
    /// terminated, a checkpoint is written), <paramref name="downFor"/> with nothing listening, then a start.
    /// </summary>
    public async Task RestartAsync(TimeSpan downFor)
    {
        var throwaway = _throwaway ?? throw new InvalidOperationException(
            $"Only a server this run started can be restarted; use {nameof(StartLocalAsync)}.");
        await throwaway.StopAsync(mode: "fast");
        await Task.Delay(downFor);
        if (await throwaway.TryStartAsync(throwaway.Port) is { } failed)
        {
            throw new InvalidOperationException($"PostgreSQL did not come back on port {throwaway.Port} after its restart: {failed}");
        }
    }

    /// <summary>
    /// Creates a fresh, empty database and returns a connection string for it.
    /// <paramref name="name"/> is a prefix: a random suffix is appended so that test classes,
    /// parallel CI runs sharing one server, and leftovers of crashed runs can never collide.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        var database = MakeDatabaseName(name);

        // template0 because template1 may carry objects on a shared server, and CREATE DATABASE
        // fails while anyone is connected to the template (nobody can connect to template0).
        await ExecuteAsync(ConnectionString, $"CREATE DATABASE {QuoteIdentifier(database)} TEMPLATE template0");

        lock (_gate)
        {
            _createdDatabases.Add(database);
        }

        return DatabaseConnectionString(database);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        string[] databases;
        lock (_gate)
        {
            databases = [.. _createdDatabases];
        }

        // Idle pooled connections would otherwise be reused after the database or server is gone.
        foreach (var database in databases)
        {
            ClearPool(DatabaseConnectionString(database));
        }

        ClearPool(ConnectionString);

        if (_throwaway is null)
        {
            await DropDatabasesAsync(databases);
        }
        else
        {
            // The whole cluster is deleted, so dropping the databases one by one would be wasted work.
            await _throwaway.StopAsync();
            TryDeleteDirectory(_throwaway.Paths.Root);
        }
    }

    private static async Task<PostgresServer> UseExternalServerAsync(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is set but is not a valid Npgsql connection string ({ex.Message}). {HowToFix}", ex);
        }

        // Fail here, once, with a clear message instead of in every test that asks for a database.
        try
        {
            await ExecuteAsync(builder.ConnectionString, "SELECT 1");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is set but the server at {Describe(builder)} is not usable: {ex.Message} {HowToFix}", ex);
        }

        return new PostgresServer(builder.ConnectionString, throwaway: null);
    }

    private static async Task<PostgresServer> StartThrowawayServerAsync()
    {
        var binDirectory = FindNewestBinDirectory() ?? throw new InvalidOperationException(
            $"No PostgreSQL server binaries found (looked for /usr/lib/postgresql/*/bin/initdb) and {EnvironmentVariable} is not set. {HowToFix}");

        var runAs = await ResolveRunAsPrefixAsync();
        var paths = CreatePaths();
        var throwaway = new Throwaway(binDirectory, runAs, paths);

        try
        {
            await CreateRootDirectoryAsync(runAs, paths.Root);
            await throwaway.InitAsync();
            var port = await throwaway.StartAsync();
            var builder = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = port,
                Username = ServiceUser,
                Database = "postgres",
                IncludeErrorDetail = true,
            };
            return new PostgresServer(builder.ConnectionString, throwaway);
        }
        catch
        {
            await throwaway.StopAsync();
            TryDeleteDirectory(paths.Root);
            throw;
        }
    }

    private static string? FindNewestBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.EnumerateDirectories(root)
            .Select(dir => (Dir: dir, Version: ParseVersion(Path.GetFileName(dir))))
            .Where(x => x.Version is not null && File.Exists(Path.Combine(x.Dir, "bin", "initdb")))
            .OrderByDescending(x => x.Version)
            .Select(x => Path.Combine(x.Dir, "bin"))
            .FirstOrDefault();
    }

    private static Version? ParseVersion(string text)
    {
        // Directory names are "15" or "9.6"; Version.Parse needs at least two components.
        return Version.TryParse(text.Contains('.') ? text : text + ".0", out var version) ? version : null;
    }

    private static async Task<string[]> ResolveRunAsPrefixAsync()
    {
        if (!await IsRootAsync())
        {
            return [];
        }

        var (exitCode, _) = await RunAsync("id", ["-u", ServiceUser], "/");
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"The tests run as root, and PostgreSQL refuses to run as root, so the throwaway server must run as the '{ServiceUser}' " +
                $"system user, which does not exist (the Debian postgresql package creates it; so does: " +
                $"useradd --system --user-group --home-dir /var/lib/postgresql {ServiceUser}). {HowToFix}");
        }

        var runuser = FindExecutable("runuser");
        if (runuser is not null)
        {
            return [runuser, "-u", ServiceUser, "--"];
        }

        var setpriv = FindExecutable("setpriv");
        if (setpriv is not null)
        {
            return [setpriv, $"--reuid={ServiceUser}", $"--regid={ServiceUser}", "--init-groups", "--"];
        }

        throw new InvalidOperationException(
            $"The tests run as root and need runuser or setpriv (util-linux) to start PostgreSQL as '{ServiceUser}', but neither was found. {HowToFix}");
    }

    private static async Task<bool> IsRootAsync()
    {
        // The effective uid is what initdb checks; the user name could be anything for uid 0.
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            foreach (var line in await File.ReadAllLinesAsync(status))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return fields.Length > 2 && fields[2] == "0";
                }
            }
        }

        return Environment.UserName == "root";
    }

    private static string? FindExecutable(string name)
    {
        // /usr/sbin is often missing from PATH in non-login shells, yet that is where runuser lives.
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    private static ServerPaths CreatePaths()
    {
        var root = Path.Combine(Path.GetTempPath(), "oms-pg-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        return new ServerPaths(root, Path.Combine(root, "data"), Path.Combine(root, "server.log"));
    }

    private static async Task CreateRootDirectoryAsync(string[] runAs, string root)
    {
        if (runAs.Length == 0)
        {
            // Unreachable on Windows (no /usr/lib/postgresql), but the analyzer needs the guard.
            if (OperatingSystem.IsWindows())
            {
                throw new PlatformNotSupportedException($"Throwaway PostgreSQL servers need Linux. {HowToFix}");
            }

            // initdb insists on a private data directory; mirror that for the socket directory.
            Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return;
        }

        // Created by the service user so it owns the directory; the BCL has no chown.
        var (exitCode, output) = await RunAsync(runAs[0], [.. runAs[1..], "mkdir", "-m", "700", root], "/");
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"Could not create {root} as the '{ServiceUser}' user (exit code {exitCode}): {output.Trim()} " +
                $"The temp directory ({Path.GetTempPath()}) must be writable by '{ServiceUser}'; point TMPDIR elsewhere, or set {EnvironmentVariable}. {HowToFix}");
        }
    }

    private async Task DropDatabasesAsync(IEnumerable<string> databases)
    {
        foreach (var database in databases)
        {
            try
            {
                // FORCE (PostgreSQL 13+) because a test may leave a connection open; dispose must not hang on it.
                await ExecuteAsync(ConnectionString, $"DROP DATABASE IF EXISTS {QuoteIdentifier(database)} WITH (FORCE)");
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                // Cleanup on a shared server is best effort: a leftover uniquely named database harms nobody,
                // while throwing here would fail a test run whose tests all passed.
            }
        }
    }

    private string DatabaseConnectionString(string database)
    {
        // Every test database is its own pool, and a finished test's pools stay open in this process: idle
        // connections are closed within seconds, or the tests that come later find "too many clients already".
        return new NpgsqlConnectionStringBuilder(ConnectionString)
        {
            Database = database,
            ConnectionIdleLifetime = 5,
            ConnectionPruningInterval = 1,
        }.ConnectionString;
    }

    private static string MakeDatabaseName(string name)
    {
        var prefix = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            prefix.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        // PostgreSQL truncates identifiers at 63 bytes, which could make two names collide again.
        var stem = prefix.Length > 40 ? prefix.ToString(0, 40) : prefix.ToString();
        return $"{stem}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
    }

    private static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static void ClearPool(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        NpgsqlConnection.ClearPool(connection);
    }

    private static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        // Never echo the password into test output.
        return $"Host={builder.Host};Port={builder.Port};Database={builder.Database};Username={builder.Username}";
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not turn a green run red.
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IReadOnlyList<string> arguments, string workingDirectory)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // English messages so log tails are readable and greppable regardless of the machine's locale.
        startInfo.Environment["LC_ALL"] = "C";
        startInfo.Environment["LANG"] = "C";

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, $"could not start {fileName}: {ex.Message}");
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"{fileName} timed out after {CommandTimeout.TotalSeconds:0} s\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private sealed record ServerPaths(string Root, string Data, string Log);

    /// <summary>The lifecycle of a server process started from local binaries.</summary>
    private sealed class Throwaway(string binDirectory, string[] runAs, ServerPaths paths)
    {
        private Process? _process;
        private Task? _drain;

        public ServerPaths Paths { get; } = paths;

        /// <summary>The port it listens on once started; a restart comes back on it, as clients' connection strings expect.</summary>
        public int Port { get; private set; }

        public async Task InitAsync()
        {
            // -N skips fsync of the new cluster (seconds saved); --locale=C avoids depending on generated locales.
            var (exitCode, output) = await RunAsServiceUserAsync(
                "initdb", ["-D", Paths.Data, "-A", "trust", "-U", ServiceUser, "-E", "UTF8", "--locale=C", "-N"]);
            if (exitCode != 0)
            {
                throw Failure($"initdb failed with exit code {exitCode}:\n{Tail(output)}");
            }
        }

        public async Task<int> StartAsync()
        {
            for (var attempt = 1; ; attempt++)
            {
                var port = FindFreePort();
                var outcome = await TryStartAsync(port);
                if (outcome is null)
                {
                    Port = port;
                    return port;
                }

                var log = await ReadLogTailAsync();
                var portTaken = log.Contains("Address already in use", StringComparison.Ordinal);
                if (portTaken && attempt < MaxStartAttempts)
                {
                    continue;
                }

                throw Failure($"{outcome}\n--- server log {Paths.Log} (last {LogTailLines} lines) ---\n{log}");
            }
        }

        /// <param name="mode">pg_ctl's shutdown mode: immediate by default, since the data is thrown away.</param>
        public async Task StopAsync(string mode = "immediate")
        {
            var process = _process;
            if (process is null)
            {
                return;
            }

            _process = null;
            try
            {
                if (!process.HasExited && File.Exists(Path.Combine(Paths.Data, "postmaster.pid")))
                {
                    await RunAsServiceUserAsync("pg_ctl", ["stop", "-D", Paths.Data, "-m", mode, "-w", "-t", "10"]);
                }

                using var timeout = new CancellationTokenSource(StopTimeout);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    // pg_ctl could not stop it (or never got to); leaving a postgres behind is worse than a hard kill.
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }

                if (_drain is not null)
                {
                    await _drain;
                }
            }
            finally
            {
                process.Dispose();
            }
        }

        public async Task<string?> TryStartAsync(int port)
        {
            string[] serverArguments =
            [
                Path.Combine(binDirectory, "postgres"),
                "-D", Paths.Data,
                "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-c", "listen_addresses=127.0.0.1",
                "-c", $"unix_socket_directories={Paths.Root}",
                // Durability is pointless for a database deleted at the end of the run; these make DDL-heavy tests fast.
                "-c", "fsync=off",
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
                // Each test class's host keeps its own pool, so the default of 100 runs out.
                "-c", "max_connections=300",
            ];

            // The shell redirects postgres's own output into the log file, so the server never writes into
            // pipes owned by the test host (which would block it, or kill it with SIGPIPE if we went away).
            string[] shell = ["/bin/sh", "-c", "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1", "sh", Paths.Log, .. serverArguments];
            string[] command = [.. runAs, .. shell];

            var startInfo = new ProcessStartInfo(command[0])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Paths.Root,
            };
            foreach (var argument in command[1..])
            {
                startInfo.ArgumentList.Add(argument);
            }

            startInfo.Environment["LC_ALL"] = "C";
            startInfo.Environment["LANG"] = "C";

            var process = new Process { StartInfo = startInfo };
            process.Start();
            _process = process;

            // Only runuser/sh write here (postgres's output goes to the log); drain so they can never block.
            _drain = Task.WhenAll(
                process.StandardOutput.BaseStream.CopyToAsync(Stream.Null),
                process.StandardError.BaseStream.CopyToAsync(Stream.Null));

            var probe = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = port,
                Username = ServiceUser,
                Database = "postgres",
                Pooling = false,
                Timeout = 2,
            }.ConnectionString;

            var deadline = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited)
                {
                    var exitCode = process.ExitCode;
                    await StopAsync();
                    return $"postgres exited during startup with exit code {exitCode}.";
                }

                try
                {
                    await using var connection = new NpgsqlConnection(probe);
                    await connection.OpenAsync();
                    return null;
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    // Expected while the postmaster is still starting up or not yet listening.
                }

                if (deadline.Elapsed > StartupTimeout)
                {
                    await StopAsync();
                    return $"postgres did not accept connections on 127.0.0.1:{port} within {StartupTimeout.TotalSeconds:0} s.";
                }

                await Task.Delay(100);
            }
        }

        private Task<(int ExitCode, string Output)> RunAsServiceUserAsync(string tool, string[] arguments)
        {
            string[] command = [.. runAs, Path.Combine(binDirectory, tool), .. arguments];

            // The service user usually cannot enter the test host's working directory (e.g. /root).
            return RunAsync(command[0], command[1..], Directory.Exists(Paths.Root) ? Paths.Root : "/");
        }

        private async Task<string> ReadLogTailAsync()
        {
            try
            {
                return File.Exists(Paths.Log) ? Tail(await File.ReadAllTextAsync(Paths.Log)) : "(no log file was written)";
            }
            catch (IOException ex)
            {
                return $"(could not read log: {ex.Message})";
            }
        }

        private static string Tail(string text)
        {
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - LogTailLines)));
        }

        private static int FindFreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                return ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            finally
            {
                listener.Stop();
            }
        }

        private InvalidOperationException Failure(string detail)
        {
            return new InvalidOperationException(
                $"Could not start a throwaway PostgreSQL server from {binDirectory} for the tests. {HowToFix}\n{detail}");
        }
    }
}
