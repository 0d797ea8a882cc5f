using System.Net;
using System.Net.Sockets;

namespace Oms.Grains.Webhooks;

/// <summary>
/// Which receivers a webhook may be sent to. A subscription is a request, made through the API, that the platform
/// POST to a URL of the caller's choice: without this, it would reach the cloud metadata service, the database or
/// any service on the internal network. So by default a target is https and never an internal address.
/// </summary>
public static class TargetPolicy
{
    public const int MaxUrlLength = 2048;

    /// <summary>Why an address may not be a target, or null when it may.</summary>
    public static string? Forbidden(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            // ::ffff:127.0.0.1 is 127.0.0.1 to the socket; judge it as that.
            return Forbidden(address.MapToIPv4());
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b switch
            {
                [0, ..] => "is unspecified ('this network', 0.0.0.0/8)",
                [127, ..] => "is loopback",
                [10, ..] => "is private (10.0.0.0/8)",
                [172, >= 16 and <= 31, ..] => "is private (172.16.0.0/12)",
                [192, 168, ..] => "is private (192.168.0.0/16)",
                [100, >= 64 and <= 127, ..] => "is shared address space (CGNAT, 100.64.0.0/10)",
                [169, 254, ..] => "is link-local (169.254.0.0/16)",
                [192, 0, 0, _] => "is reserved for protocol assignments (192.0.0.0/24)",
                [198, 18 or 19, ..] => "is reserved for benchmarking (198.18.0.0/15)",
                [>= 224 and <= 239, ..] => "is multicast",
                [>= 240, ..] => "is reserved or broadcast (240.0.0.0/4)",
                _ => null,
            };
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                return "is unspecified (::)";
            }

            if (address.Equals(IPAddress.IPv6Loopback))
            {
                return "is loopback";
            }

            var b = address.GetAddressBytes();
            if (b.Take(12).All(x => x == 0))
            {
                // IPv4-compatible (deprecated ::a.b.c.d): some stacks still route it to the IPv4 address.
                return Forbidden(new IPAddress(b[12..]));
            }

            return b switch
            {
                [0xfc or 0xfd, ..] => "is a unique local address (fc00::/7)",
                [0xfe, >= 0x80 and <= 0xbf, ..] => "is link-local (fe80::/10)",
                [0xfe, >= 0xc0, ..] => "is site-local (fec0::/10)",
                [0xff, ..] => "is multicast",
                [0x00, 0x64, 0xff, 0x9b, ..] => Forbidden(new IPAddress(b[12..])) is { } inner ? $"maps (NAT64) to an address that {inner}" : null,
                [0x20, 0x02, ..] => Forbidden(new IPAddress(b[2..6])) is { } inner ? $"embeds (6to4) an address that {inner}" : null,
                _ => null,
            };
        }

        return "is not an IP address";
    }

    /// <summary>Checks a target URL's form and, for an IP literal, its address; a name is checked when resolved.</summary>
    /// <returns>null when acceptable, else what is wrong (for the problem naming <c>url</c>).</returns>
    public static string? CheckUrl(string? url, bool allowInsecure, out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength || url.Any(char.IsControl) || url.Any(char.IsWhiteSpace))
        {
            return $"must be an absolute URL of at most {MaxUrlLength} characters, without spaces or control characters.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http") || parsed.Host.Length == 0)
        {
            return "must be an absolute https URL.";
        }

        if (parsed.Scheme == "http" && !allowInsecure)
        {
            return "must use https.";
        }

        if (parsed.UserInfo.Length > 0)
        {
            return "must not carry a user name or password; authenticate the sender by the signature.";
        }

        if (parsed.Fragment.Length > 0)
        {
            return "must not have a fragment.";
        }

        if (!allowInsecure)
        {
            if (parsed.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(parsed.IdnHost.Trim('[', ']'), out var literal)
                && Forbidden(literal) is { } why)
            {
                return $"targets {literal}, which {why}: webhooks go to public addresses only.";
            }

            if (parsed.HostNameType == UriHostNameType.Dns && IsInternalName(parsed.IdnHost))
            {
                return $"targets '{parsed.Host}', an internal name: webhooks go to public addresses only.";
            }
        }

        uri = parsed;
        return null;
    }

    /// <summary>Names that resolve locally whatever DNS says, so there is no point waiting for it.</summary>
    private static bool IsInternalName(string host)
    {
        host = host.TrimEnd('.').ToLowerInvariant();
        return host is "localhost" || host.EndsWith(".localhost", StringComparison.Ordinal) || host.EndsWith(".local", StringComparison.Ordinal)
            || host.EndsWith(".internal", StringComparison.Ordinal) || !host.Contains('.');
    }

    /// <summary>Resolves a target's host and checks every address, as the API does at creation.</summary>
    /// <returns>What is wrong, or null (also when the name does not resolve now: the check at delivery decides).</returns>
    public static async Task<string?> CheckResolved(Uri uri, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (uri.HostNameType != UriHostNameType.Dns)
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, cts.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        foreach (var address in addresses)
        {
            if (Forbidden(address) is { } why)
            {
                return $"'{uri.Host}' resolves to {address}, which {why}: webhooks go to public addresses only.";
            }
        }

        return null;
    }
}
