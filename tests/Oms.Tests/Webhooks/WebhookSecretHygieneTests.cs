using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Oms.Contracts.Events;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Webhooks;

/// <summary>
/// A subscription's whole life with every log line of the API and both silos captured at Trace: its signing
/// secrets appear in the answers that issue them and nowhere else, not in logs, later answers or the audit.
/// </summary>
public sealed class WebhookSecretHygieneTests
{
    [Fact]
    public async Task No_signing_secret_appears_in_logs_later_answers_or_the_audit()
    {
        var logs = new CapturingLogs();
        await using var cluster = await WebhookClusters.StartAsync(configure: silo =>
        {
            silo.Services.AddSingleton<ILoggerProvider>(logs);
            silo.Services.Configure<LoggerFilterOptions>(o => o.MinLevel = LogLevel.Trace);
        });
        await using var api = WebhookClusters.Api(cluster).WithWebHostBuilder(web => web.ConfigureLogging(logging =>
        {
            logging.AddProvider(logs);
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddFilter<CapturingLogs>(null, LogLevel.Trace);
        }));
        using var http = api.CreateAdminClient();
        await using var receiver = await Receiver.StartAsync();
        receiver.Answer = r => receiver.Requests.Count == 1 ? (500, null) : (204, null);

        var (id, first) = await WebhookApi.Subscribe(http, receiver.Url(), "order.*");
        await WebhookApi.Emit(cluster.Feed(), (EventTypes.OrderPlaced, Subjects.Order(Network.Unique("ORD")), 1));
        await Eventually.Until(async () => await WebhookApi.Deliveries(http, id, "delivered"), d => d.Count == 1, TimeSpan.FromSeconds(20), "delivered after a failure");
        var second = (string)(await WebhookApi.Json(await http.PostAsJsonAsync($"/api/v1/webhooks/{id}/rotate-secret", new { graceSeconds = 60 })))["secret"]!;
        await WebhookApi.Emit(cluster.Feed(), (EventTypes.OrderCancelled, Subjects.Order(Network.Unique("ORD")), 1));
        await Eventually.Until(async () => await WebhookApi.Deliveries(http, id, "delivered"), d => d.Count == 2, TimeSpan.FromSeconds(20), "delivered during the grace");
        await http.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { status = "disabled" });

        var answers = new List<string>
        {
            await http.GetStringAsync("/api/v1/webhooks"),
            await http.GetStringAsync($"/api/v1/webhooks/{id}"),
            await http.GetStringAsync($"/api/v1/webhooks/{id}/deliveries"),
        };
        // The audit is written off the request path, in batches.
        var audit = await Eventually.Until(async () => await http.GetStringAsync("/api/v1/audit?actor=bootstrap&limit=1000"),
            a => a.Contains($"/api/v1/webhooks/{id}/rotate-secret", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the rotation audited");
        answers.Add(audit);

        Assert.Contains(logs.Lines, line => line.Contains(" Microsoft.AspNetCore.", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, line => line.Contains(" Orleans.Runtime.Silo", StringComparison.Ordinal));
        foreach (var secret in new[] { first, second })
        {
            var key = secret["whsec_".Length..];
            Assert.DoesNotContain(logs.Lines, line => line.Contains(key, StringComparison.Ordinal));
            Assert.DoesNotContain(answers, answer => answer.Contains(key, StringComparison.Ordinal));
            Assert.DoesNotContain(receiver.Requests, r => r.Body.Contains(key, StringComparison.Ordinal)
                || r.Headers.Any(h => h.Value.ToString().Contains(key, StringComparison.Ordinal)));
        }
    }
}
