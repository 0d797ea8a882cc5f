namespace Oms.Api.CareConsole;

/// <summary><c>Oms:Console</c>: the care console served at <c>/care</c>.</summary>
public sealed class ConsoleOptions
{
    /// <summary>A deployment that runs its own console (or none) turns this one off; the API is unchanged.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a sign-in lasts, whatever the browser does: one shift by default.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Where the data-protection key ring lives. Several API nodes must share one, or a session made on one node
    /// is refused by the next; unset, each node keeps its own (the ASP.NET Core default).
    /// </summary>
    public string? KeyRingPath { get; set; }
}
