using System.Text;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Oms.Contracts.Events;

namespace Oms.Grains.Events;

/// <summary>
/// Renders an event as a CloudEvents 1.0 structured-mode JSON document, once, when it takes its place in the
/// feed: the feed reader and every webhook delivery then send those exact bytes, so a signature computed over
/// them holds wherever they are read from.
/// </summary>
public sealed class CloudEventCodec(string source)
{
    public const string ContentType = "application/cloudevents+json";

    /// <summary>Per subject, from 1, without gaps: a consumer detects a missed event by the gap.</summary>
    public static readonly CloudEventAttribute Sequence = CloudEventAttribute.CreateExtension("sequence", CloudEventAttributeType.Integer);

    /// <summary>The place in the global feed: what a reader passes back as <c>after</c>.</summary>
    public static readonly CloudEventAttribute Position = CloudEventAttribute.CreateExtension("position", CloudEventAttributeType.Integer);

    private static readonly CloudEventAttribute[] Extensions = [Sequence, Position];

    private readonly Uri _source = new(source, UriKind.RelativeOrAbsolute);
    private readonly JsonEventFormatter _formatter = new(EventJson.Options, default);

    public string Encode(OutboxEvent e, long position)
    {
        using var data = JsonDocument.Parse(e.Data);
        var cloudEvent = new CloudEvent(CloudEventsSpecVersion.V1_0, Extensions)
        {
            Id = e.EventId.ToString(),
            Source = _source,
            Type = e.Type,
            Subject = e.Subject,
            Time = e.Time,
            DataContentType = "application/json",
            Data = data.RootElement.Clone(),
        };

        // CloudEvents integers are 32-bit; a subject never has 2^31 events, and the feed refuses to pass that position.
        cloudEvent[Sequence] = checked((int)e.Sequence);
        cloudEvent[Position] = checked((int)position);
        var body = _formatter.EncodeStructuredModeMessage(cloudEvent, out _);
        return Encoding.UTF8.GetString(body.Span);
    }

    /// <summary>Reads a body back, for consumers in tests and tools; the extension attributes come back typed.</summary>
    public static CloudEvent Decode(string body) =>
        new JsonEventFormatter().DecodeStructuredModeMessage(Encoding.UTF8.GetBytes(body), new System.Net.Mime.ContentType(ContentType), Extensions);
}
