using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Orleans.Connections.Security;

namespace Oms.Grains.Security;

/// <summary>The PEM files of <c>Orleans:Tls</c>: this node's certificate and key, and the authority that issued every member's.</summary>
public sealed record ClusterTlsFiles(string Certificate, string Key, string Authority);

/// <summary>
/// Mutual TLS on the silo and gateway ports. Those ports carry grain calls with no authentication of their own, so
/// once certificates are configured a connection is accepted only from a peer whose certificate the cluster's own
/// authority issued, and a node only talks to silos that prove the same. The authority is private to the cluster:
/// issuance is membership, so host names are not checked (silos connect to each other by advertised IP), and the
/// machine's public roots are never trusted for it.
/// </summary>
public static class ClusterTls
{
    public const string Section = "Orleans:Tls";

    /// <returns>Null when no TLS setting is given; all three when any is.</returns>
    /// <exception cref="InvalidOperationException">Some are given and some are not: the node must not start half-secured.</exception>
    public static ClusterTlsFiles? Files(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        string? Setting(string name) => section[name] is { Length: > 0 } value ? value : null;
        var (certificate, key, authority) = (Setting("Certificate"), Setting("Key"), Setting("Authority"));
        if (certificate is null && key is null && authority is null)
        {
            return null;
        }

        var missing = new[] { ("Certificate", certificate), ("Key", key), ("Authority", authority) }
            .Where(s => s.Item2 is null)
            .Select(s => $"{Section}:{s.Item1}")
            .ToList();
        return missing.Count == 0
            ? new ClusterTlsFiles(certificate!, key!, authority!)
            : throw new InvalidOperationException(
                $"Cluster TLS is half configured: {string.Join(", ", missing)} missing. Give all of {Section}:Certificate, :Key and :Authority, or none.");
    }

    /// <summary>Whether <paramref name="authority"/> issued <paramref name="certificate"/> (directly or through the presented intermediates), and it is in date.</summary>
    public static bool IsIssuedBy(X509Certificate2 authority, X509Certificate2 certificate, X509Chain? presented = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(certificate);
    }

    public static ISiloBuilder UseOmsTls(this ISiloBuilder silo, IConfiguration configuration) =>
        Load(configuration) is { } tls ? silo.UseTls(tls.Node, o => Configure(o, tls.Authority)) : silo;

    public static IClientBuilder UseOmsTls(this IClientBuilder client, IConfiguration configuration) =>
        Load(configuration) is { } tls ? client.UseTls(tls.Node, o => Configure(o, tls.Authority)) : client;

    private static (X509Certificate2 Node, X509Certificate2 Authority)? Load(IConfiguration configuration)
    {
        if (Files(configuration) is not { } files)
        {
            return null;
        }

        var authority = X509CertificateLoader.LoadCertificateFromFile(files.Authority);
        using var pem = X509Certificate2.CreateFromPemFile(files.Certificate, files.Key);

        // A PEM key is ephemeral; a PKCS#12 round trip gives the key a form every platform's TLS stack accepts.
        var node = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        if (!IsIssuedBy(authority, node))
        {
            throw new InvalidOperationException(
                $"{Section}:Certificate ({node.Subject}) is not issued by {Section}:Authority ({authority.Subject}), or is out of date: no peer would accept it.");
        }

        return (node, authority);
    }

    private static void Configure(TlsOptions options, X509Certificate2 authority)
    {
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (certificate, chain, _) => IsIssuedBy(authority, certificate, chain);
    }
}
