namespace Oms.Contracts.Security;

/// <summary>One request that changed state, or tried to: who, what, on which resources, and how it ended.</summary>
/// <param name="AuditId">Assigned by the log when appended; 0 before.</param>
/// <param name="EntryId">Unique per request, from the API node: a batch sent again after a timeout is not recorded twice.</param>
[GenerateSerializer, Immutable, Alias("oms.AuditEntry")]
public sealed record AuditEntry(
    [property: Id(0)] long AuditId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string Actor,
    [property: Id(3)] string? ActorName,
    [property: Id(4)] string? Role,
    [property: Id(5)] string Method,
    [property: Id(6)] string Route,
    [property: Id(7)] string Path,
    [property: Id(8)] IReadOnlyDictionary<string, string> ResourceIds,
    [property: Id(9)] int Status,
    [property: Id(10)] string RequestId,
    [property: Id(11)] string? RemoteAddress,
    [property: Id(12)] Guid EntryId);

[GenerateSerializer, Immutable, Alias("oms.AuditPage")]
public sealed record AuditPage([property: Id(0)] IReadOnlyList<AuditEntry> Entries, [property: Id(1)] long? Next);

/// <summary>The append-only audit log, durable in PostgreSQL when configured.</summary>
[Alias("oms.IAuditLogGrain")]
public interface IAuditLogGrain : IGrainWithIntegerKey
{
    [Alias("Append")]
    Task Append(IReadOnlyList<AuditEntry> entries);

    /// <param name="after">Entries with an id above this, oldest first.</param>
    [Alias("Read"), Oms.Contracts.Faults.Idempotent]
    Task<AuditPage> Read(long after, string? actor, int limit);
}
