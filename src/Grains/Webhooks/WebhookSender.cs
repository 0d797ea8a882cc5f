using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using StandardWebhooks;

namespace Oms.Grains.Webhooks;

/// <summary>A target the SSRF guard refused on the address actually about to be connected to.</summary>
public sealed class WebhookTargetRefusedException(string message) : Exception(message);

/// <summary>
/// Signs and POSTs deliveries: one pooled HTTP client per silo, shared by every subscription (connections are
/// pooled per receiver, so a slow receiver only ties up its own). Redirects are not followed, no proxy is used
/// and every connection goes through <see cref="Connect"/>, which resolves the name, checks each address with
/// <see cref="TargetPolicy"/> and connects to the address it checked: a DNS answer that changes between a check
/// and the connection (rebinding) cannot reach an internal address.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    public const string MediaType = "application/cloudevents+json";
    private const int MaxDrainBytes = 64 * 1024;

    private readonly HttpClient _http;
    private readonly bool _allowInsecure;
    private readonly TimeSpan _timeout;

    public WebhookSender(IOptions<WebhookOptions> options)
    {
        _allowInsecure = options.Value.AllowInsecureTargets;
        _timeout = options.Value.Timeout;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            // Pooled connections are re-resolved (and re-checked) at least this often.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            MaxConnectionsPerServer = 256,
            MaxResponseHeadersLength = 64,
            ConnectCallback = Connect,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Oms.Orleans-Webhooks/1.0");
    }

    /// <summary>The <c>webhook-signature</c> value: one <c>v1,…</c> per secret, space-separated (both during a rotation's grace).</summary>
    public static string Signatures(IReadOnlyList<StandardWebhook> signers, string id, DateTimeOffset timestamp, string body) =>
        string.Join(' ', signers.Select(s => s.Sign(id, timestamp, body)));

    public async Task<SendResult> Send(Uri url, string id, DateTimeOffset timestamp, string signatures, string body, CancellationToken cancellationToken)
    {
        if (!_allowInsecure && url.Scheme != Uri.UriSchemeHttps)
        {
            return new SendResult(null, null, 0, "refused by the SSRF guard: the target is not https");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(MediaType);
        request.Headers.TryAddWithoutValidation("webhook-id", id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", signatures);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var started = Stopwatch.GetTimestamp();
        int Elapsed() => (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            // Read a little of the body so the connection can be reused; a receiver's essay is not our business.
            await Drain(response, timeout.Token);
            var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? values.FirstOrDefault() : null;
            return new SendResult(status, retryAfter, Elapsed(), DeliveryRules.Describe(status));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendResult(null, null, Elapsed(), $"no answer within {_timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return new SendResult(null, null, Elapsed(), Describe(ex));
        }
    }

    private static async Task Drain(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[8192];
            var total = 0;
            int read;
            while (total < MaxDrainBytes && (read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            // The status was received; a body cut short does not change the outcome.
        }
    }

    private static string Describe(HttpRequestException ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is WebhookTargetRefusedException refused)
            {
                return $"refused by the SSRF guard: {refused.Message}";
            }

            if (e is SocketException socket)
            {
                return $"could not connect: {socket.SocketErrorCode}";
            }
        }

        return ex.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "could not resolve the host",
            HttpRequestError.SecureConnectionError => "TLS handshake failed",
            HttpRequestError.ConnectionError => "could not connect",
            HttpRequestError.ResponseEnded => "the connection closed before an answer",
            HttpRequestError.InvalidResponse => "the answer was not valid HTTP",
            _ => "the request failed",
        };
    }

    private async ValueTask<Stream> Connect(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        string? refused = null;
        Exception? failure = null;
        foreach (var address in addresses)
        {
            if (!_allowInsecure && TargetPolicy.Forbidden(address) is { } why)
            {
                refused = $"'{host}' resolves to {address}, which {why}";
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // The very address that was checked, never the name again.
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (Exception ex)
            {
                socket.Dispose();
                failure = ex;
            }
        }

        throw failure ?? new WebhookTargetRefusedException(refused ?? $"'{host}' has no address");
    }

    public void Dispose() => _http.Dispose();
}
