using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Oms.Grains.Security;

namespace Oms.Tests.Hosting;

/// <summary>
/// Who may join the cluster's ports: only a certificate the cluster's own authority issued, in date. The process
/// test in <see cref="ClusterScriptTests"/> shows the ports enforce it; this pins the decision itself.
/// </summary>
public sealed class ClusterTlsTests
{
    public static X509Certificate2 Authority(string subject, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>A node certificate for both ends of a connection, as every silo and client presents.</summary>
    public static X509Certificate2 Issue(X509Certificate2 authority, string subject, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(7), serial);
        return issued.CopyWithPrivateKey(key);
    }

    [Fact]
    public void A_certificate_is_a_member_only_when_the_clusters_authority_issued_it_and_it_is_in_date()
    {
        using var authority = Authority("CN=oms cluster authority");
        using var member = Issue(authority, "CN=silo");
        using var impostor = Authority("CN=oms cluster authority");
        using var forged = Issue(impostor, "CN=silo");
        using var lapsed = Issue(authority, "CN=silo", DateTimeOffset.UtcNow.AddMinutes(-1));

        Assert.True(ClusterTls.IsIssuedBy(authority, member));
        Assert.False(ClusterTls.IsIssuedBy(authority, forged), "another authority with the same name is not ours");
        Assert.False(ClusterTls.IsIssuedBy(authority, impostor), "a self-signed certificate is not a member");
        Assert.False(ClusterTls.IsIssuedBy(authority, lapsed), "an expired certificate is refused");

        // The machine's own roots never count: an authority is trusted only where it is configured.
        Assert.False(ClusterTls.IsIssuedBy(impostor, member));
    }

    [Theory]
    [InlineData(null, null, null, null)]
    [InlineData("n.pem", "n.key", "ca.pem", "")]
    [InlineData("n.pem", null, "ca.pem", "Orleans:Tls:Key")]
    [InlineData(null, null, "ca.pem", "Orleans:Tls:Certificate, Orleans:Tls:Key")]
    [InlineData("n.pem", "n.key", "", "Orleans:Tls:Authority")]
    public void The_settings_are_all_or_nothing_so_a_node_never_starts_half_secured(string? certificate, string? key, string? authority, string? missing)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orleans:Tls:Certificate"] = certificate,
            ["Orleans:Tls:Key"] = key,
            ["Orleans:Tls:Authority"] = authority,
        }).Build();

        switch (missing)
        {
            case null:
                Assert.Null(ClusterTls.Files(configuration));
                break;
            case "":
                Assert.Equal(new ClusterTlsFiles("n.pem", "n.key", "ca.pem"), ClusterTls.Files(configuration));
                break;
            default:
                var error = Assert.Throws<InvalidOperationException>(() => ClusterTls.Files(configuration));
                Assert.Contains($"{missing} missing", error.Message);
                break;
        }
    }

    [Fact]
    public void A_node_whose_own_certificate_another_authority_issued_does_not_start()
    {
        using var authority = Authority("CN=oms cluster authority");
        using var stranger = Issue(Authority("CN=other"), "CN=silo");
        var directory = Directory.CreateTempSubdirectory("oms-tls-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "ca.pem"), authority.ExportCertificatePem());
            File.WriteAllText(Path.Combine(directory, "node.pem"), stranger.ExportCertificatePem());
            File.WriteAllText(Path.Combine(directory, "node.key"), stranger.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orleans:Tls:Certificate"] = Path.Combine(directory, "node.pem"),
                ["Orleans:Tls:Key"] = Path.Combine(directory, "node.key"),
                ["Orleans:Tls:Authority"] = Path.Combine(directory, "ca.pem"),
            }).Build();

            var host = Host.CreateApplicationBuilder();
            var error = Assert.Throws<InvalidOperationException>(() => host.UseOrleansClient(client => client.UseOmsTls(configuration)));
            Assert.Contains("is not issued by Orleans:Tls:Authority", error.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
