using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Oms.Grains.Security;
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

    private static Task<string> Script(string directory, string connectionString, params string[] args) =>
        Script(directory, connectionString, tls: false, args);

    private static async Task<string> Script(string directory, string connectionString, bool tls, params string[] args)
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
        if (tls)
        {
            info.Environment["OMS_CLUSTER_TLS"] = "1";
        }

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

    [Fact]
    public async Task Up_with_TLS_serves_through_mutually_authenticated_ports_that_refuse_any_peer_without_the_clusters_certificate()
    {
        var connectionString = await postgres.CreateOmsDatabaseAsync("oms_cluster_tls");
        var directory = Directory.CreateTempSubdirectory("oms-cluster-").FullName;
        try
        {
            await Script(directory, connectionString, tls: true, "up", "2", "1");
            var lines = (await Script(directory, connectionString, "status")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var silo = lines.Select(l => SiloLine().Match(l)).First(m => m.Success);
            var api = Assert.Single(lines.Select(l => ApiLine().Match(l)), m => m.Success);

            // Ready means the API node's client reached a gateway through TLS; the write lands on either silo.
            var key = Regex.Match(await File.ReadAllTextAsync(Path.Combine(directory, "env")), @"OMS_ADMIN_KEY=(\S+)").Groups[1].Value;
            using var http = new HttpClient { BaseAddress = new Uri(api.Groups[2].Value), Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            for (var i = 0; i < 4; i++)
            {
                var location = Network.Unique("WH");
                var put = await http.PutAsJsonAsync($"/api/v1/locations/{location}", new { name = "W", type = "warehouse", latitude = 1, longitude = 1 });
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/v1/locations/{location}")).StatusCode);
            }

            var tls = Path.Combine(directory, "tls");
            Assert.False(File.Exists(Path.Combine(tls, "authority.key")), "nothing else can be issued into the cluster");
            using var authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(tls, "authority.pem"));
            using var node = X509Certificate2.CreateFromPemFile(Path.Combine(tls, "node.pem"), Path.Combine(tls, "node.key"));
            using var stranger = ClusterTlsTests.Issue(ClusterTlsTests.Authority("CN=oms local cluster authority"), "CN=oms local node");
            foreach (var port in new[] { int.Parse(silo.Groups[2].Value), int.Parse(silo.Groups[3].Value) })
            {
                Assert.True(await ClosesPlainText(port), $"port {port} answers a peer that does not speak TLS");
                Assert.True(await ClosesAfterHandshake(port, authority, client: null), $"port {port} serves a peer with no certificate");
                Assert.True(await ClosesAfterHandshake(port, authority, stranger), $"port {port} serves a certificate another authority issued");
                Assert.False(await ClosesAfterHandshake(port, authority, node), $"port {port} refuses the cluster's own certificate");
            }
        }
        finally
        {
            await Script(directory, connectionString, "down");
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>An Orleans connection preamble sent in the clear is never read as one: the port closes it.</summary>
    private static async Task<bool> ClosesPlainText(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(new byte[64]);
        return await Closed(stream);
    }

    /// <summary>
    /// The silo must prove itself with a certificate from the cluster's authority; then, with TLS 1.3, a client's
    /// certificate is judged after the client's side of the handshake completes, so a refused peer sees its connection
    /// closed on the first read. An accepted one waits for the Orleans preamble instead, so its read times out.
    /// </summary>
    private static async Task<bool> ClosesAfterHandshake(int port, X509Certificate2 authority, X509Certificate2? client)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream());
        var presented = false;
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                ClientCertificates = client is null ? null : [client],
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                    presented = certificate is not null && ClusterTls.IsIssuedBy(authority, X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), chain),
            });
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return true;
        }

        Assert.True(presented, "the silo presented a certificate the cluster's authority issued");
        return await Closed(ssl);
    }

    private static async Task<bool> Closed(Stream stream)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            return await stream.ReadAsync(new byte[1], patience.Token) == 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException)
        {
            return true;
        }
    }
}
