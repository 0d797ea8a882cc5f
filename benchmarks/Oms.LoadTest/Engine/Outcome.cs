namespace Oms.LoadTest.Engine;

internal enum Outcome
{
    /// <summary>The answer the scenario is after (200, or 201 for a hold).</summary>
    Ok,

    /// <summary>A correct refusal, such as 409 when stock has run out: the system worked, the buyer was told no.</summary>
    Refused,

    /// <summary>Anything else: an unexpected status, a timeout or a transport failure.</summary>
    Error,
}
