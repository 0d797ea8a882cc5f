using System.Text.Json;
using System.Text.Json.Serialization;
using Oms.Contracts.Events;

namespace Oms.Grains.Events;

/// <summary>
/// The events of one grain that are durable with its state but not yet in the feed, and the subject's last
/// sequence. It is part of the grain's persisted state, so raising an event and writing the state change that
/// causes it are one write: a crash after it delays the event, and a crash before it loses both.
/// </summary>
public sealed class EventOutbox
{
    /// <summary>The last sequence given to this subject's events.</summary>
    public long Sequence { get; set; }

    public List<OutboxEvent> Pending { get; set; } = [];

    public OutboxEvent Raise(string type, string subject, object data, DateTimeOffset time)
    {
        var e = new OutboxEvent(Guid.NewGuid(), type, subject, ++Sequence, time, JsonSerializer.Serialize(data, EventJson.Options));
        Pending.Add(e);
        return e;
    }

    /// <summary>Forgets what the feed has acknowledged; the next state write makes that durable too.</summary>
    public void Acknowledge(IReadOnlyList<OutboxEvent> published)
    {
        var ids = published.Select(e => e.EventId).ToHashSet();
        Pending.RemoveAll(e => ids.Contains(e.EventId));
    }
}

/// <summary>Event data reads like the API's answers: camelCase, enums by name, so a consumer parses one shape.</summary>
public static class EventJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        // Relaxed escaping: the data is JSON for machines, not HTML, and "+00:00" should read as itself, not \u002B.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DictionaryKeyPolicy = null,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
