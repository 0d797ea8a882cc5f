using System.Net;
using Oms.LoadTest.Engine;

namespace Oms.LoadTest.Scenarios;

/// <summary>
/// One kind of traffic. An instance lives for one run: it may seed what it needs in <see cref="PrepareAsync"/>,
/// keep per-run counters from <see cref="Acknowledge"/>, and check the server's books in <see cref="VerifyAsync"/>.
/// </summary>
internal abstract class Scenario
{
    public abstract string Name { get; }

    /// <summary>The name in reports, with whatever makes this run differ from the scenario's usual shape.</summary>
    public virtual string Label => Name;

    /// <summary>Returns why the scenario cannot run against this server, or null when it is ready.</summary>
    public virtual Task<string?> PrepareAsync(ScenarioContext context, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(null);

    /// <summary>Builds request number <paramref name="sequence"/>. Called concurrently in the closed model, each
    /// caller with its own <paramref name="random"/>, so implementations must only read shared state.</summary>
    public abstract PlannedRequest Next(long sequence, Random random);

    /// <summary>The role of the key the measured requests carry with --mint-storefront-key: a storefront for what a
    /// shop sends, an integration key for what a warehouse reports.</summary>
    public virtual string TrafficRole => "storefront";

    /// <summary>The most requests the scenario can build, known after <see cref="PrepareAsync"/>: a scenario
    /// that works through things it prepared (orders to report on) stops when they run out, as --requests would.</summary>
    public virtual long? RequestLimit => null;

    public virtual Outcome Classify(HttpStatusCode status) => status == HttpStatusCode.OK ? Outcome.Ok : Outcome.Error;

    /// <summary>Sees every answer, warm-up included: units held during the warm-up are just as sold.</summary>
    public virtual void Acknowledge(in PlannedRequest request, HttpStatusCode status)
    {
    }

    public virtual Task<StockVerdict?> VerifyAsync(ScenarioContext context, CancellationToken cancellationToken) =>
        Task.FromResult<StockVerdict?>(null);
}

internal sealed record ScenarioContext(HttpClient Http, LoadOptions Options, Network Network, TextWriter Log)
{
    /// <summary>The client has no timeout of its own (the load loop needs to tell a timeout from Ctrl+C), so every
    /// setup and read-back call takes its deadline from here.</summary>
    public CancellationTokenSource Deadline(CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Options.RequestTimeout);
        return deadline;
    }
}

/// <param name="Positions">Stock positions (SKU at location) this run stocked and loads.</param>
/// <param name="OnHand">Units put on hand at each of them.</param>
/// <param name="Acknowledged">Holds answered 201, warm-up included.</param>
/// <param name="Refused">Holds answered 409 (not enough stock), warm-up included.</param>
/// <param name="Oversell">Units acknowledged beyond what was on hand, summed per position: must be 0.</param>
/// <param name="ServerReserved">What the server says is reserved on those positions after the run.</param>
/// <param name="ServerOversell">Units the server reserved beyond what was on hand, per position: must be 0.</param>
/// <param name="LedgerChecked">Positions whose ledger the server replayed and compared with the live figures.</param>
/// <param name="LedgerInconsistent">Of those, how many did not match: must be 0.</param>
internal sealed record StockVerdict(
    int Positions,
    int OnHand,
    long Acknowledged,
    long Refused,
    long Oversell,
    long? ServerReserved,
    long ServerOversell,
    int LedgerChecked,
    int LedgerInconsistent,
    string? Note);
