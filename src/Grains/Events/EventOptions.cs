namespace Oms.Grains.Events;

/// <summary><c>Oms:Events:*</c>.</summary>
public sealed class EventOptions
{
    /// <summary>The CloudEvents <c>source</c> of every event this deployment emits.</summary>
    public string Source { get; set; } = "/oms";

    /// <summary>How long the feed keeps an event; a consumer away longer than this replays from its own store.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The in-memory feed's bound, oldest dropped first: the embedded default must not grow without end.</summary>
    public int MemoryCapacity { get; set; } = 1_000_000;

    /// <summary>How often each silo looks for outbox entries that a dead silo wrote but never moved to the feed.</summary>
    public TimeSpan RelayInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>An outbox entry younger than this is still its writer's to move; older, any silo moves it.</summary>
    public TimeSpan StrandedAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Events moved to the feed in one transaction at most.</summary>
    public int MaxBatchSize { get; set; } = 1_000;
}
