using System.Globalization;
using System.Text;

namespace Oms.LoadTest.Reporting;

internal static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public const string TableHeader =
        "| Scenario | Model | Offered (req/s) | Achieved (req/s) | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | OK | Refused | Errors (dropped) | Oversell | Notes |\n" +
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |";

    /// <summary>key=value pairs on one line, so a person can read it and a script can pick fields out of it.</summary>
    public static string Line(ScenarioResult r)
    {
        if (r.Skipped is not null)
        {
            return $"{r.Scenario,-15} {r.Skipped}";
        }

        var line = new StringBuilder();
        line.Append(Invariant, $"{r.Scenario,-15} model=\"{r.Model}\" rps={r.AchievedRate:0.0} ok-rps={r.AcknowledgedRate:0.0} ");
        line.Append(Invariant, $"p50={r.P50Ms:0.###} p99={r.P99Ms:0.###} p99.9={r.P999Ms:0.###} max={r.MaxMs:0.###} ");
        line.Append(Invariant, $"ok={r.Ok} refused={r.Refused} errors={r.Errors} dropped={r.Dropped}");
        if (r.ErrorKinds.Count > 0)
        {
            line.Append(" error-kinds=").Append(Kinds(r));
        }

        if (r.Verdict is { } v)
        {
            line.Append(Invariant, $" positions={v.Positions} on-hand={v.OnHand} held={v.Acknowledged} refused-all={v.Refused} oversell={v.Oversell} ");
            line.Append(Invariant, $"server-reserved={(v.ServerReserved is { } s ? s.ToString(Invariant) : "?")} server-oversell={v.ServerOversell} ");
            line.Append(Invariant, $"ledgers-verified={v.LedgerChecked} ledgers-inconsistent={v.LedgerInconsistent}");
            if (v.Note is not null)
            {
                line.Append(" note=\"").Append(v.Note).Append('"');
            }
        }

        if (r.SendLagP99Ms is { } lag)
        {
            line.Append(Invariant, $" send-lag-p99={lag:0.###}");
        }

        line.Append(Invariant, $" gen-cpu={r.GeneratorCpuPercent:0}% per-5s=[{string.Join(',', r.RatePer5s.Select(x => x.ToString("0", Invariant)))}]");
        return line.ToString();
    }

    public static string TableRow(ScenarioResult r)
    {
        if (r.Skipped is not null)
        {
            return $"| {r.Scenario} | {r.Model} | | | | | | | | | | | {r.Skipped} |";
        }

        var notes = new List<string>();
        if (r.RatePer5s.Count > 1)
        {
            notes.Add("req/s per 5 s: " + string.Join(", ", r.RatePer5s.Select(x => x.ToString("0", Invariant))));
        }

        if (r.ErrorKinds.Count > 0)
        {
            notes.Add("errors: " + Kinds(r));
        }

        var oversell = "";
        if (r.Verdict is { } v)
        {
            oversell = v.Oversell.ToString(Invariant);
            notes.Add(string.Create(Invariant,
                $"{v.Positions:N0} position(s) × {v.OnHand:N0} on hand; held {v.Acknowledged:N0}, refused {v.Refused:N0} (warm-up included); " +
                $"server reserved {(v.ServerReserved is { } s ? s.ToString("N0", Invariant) : "?")}, server oversell {v.ServerOversell}"));
            if (v.LedgerChecked > 0)
            {
                notes.Add(string.Create(Invariant, $"ledger replay: {v.LedgerChecked - v.LedgerInconsistent} of {v.LedgerChecked} consistent"));
            }

            if (v.Note is not null)
            {
                notes.Add(v.Note);
            }
        }

        if (r.SendLagP99Ms is { } lag)
        {
            notes.Add(string.Create(Invariant, $"generator's own send lag p99 {lag:0.00} ms"));
        }

        notes.Add(string.Create(Invariant, $"generator CPU {r.GeneratorCpuPercent:0}% of a core"));
        return string.Create(Invariant,
            $"| {r.Scenario} | {r.Model} | {(r.OfferedRate is { } o ? o.ToString("0.#", Invariant) : "max")} | {r.AchievedRate:0.0} | " +
            $"{r.P50Ms:0.00} | {r.P99Ms:0.00} | {r.P999Ms:0.00} | {r.MaxMs:0.00} | {r.Ok:N0} | {r.Refused:N0} | {r.Errors:N0} ({r.Dropped:N0}) | {oversell} | {string.Join("; ", notes)} |");
    }

    /// <summary>Appends rows to the file, with a header unless the file already ends in a table (so successive
    /// invocations build one table).</summary>
    public static async Task AppendMarkdownAsync(string path, IReadOnlyList<ScenarioResult> results, CancellationToken cancellationToken)
    {
        var lastLine = File.Exists(path)
            ? (await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false)).LastOrDefault(l => l.Length > 0)
            : null;
        var text = new StringBuilder();
        if (lastLine is null || !lastLine.StartsWith('|'))
        {
            if (lastLine is not null)
            {
                text.AppendLine();
            }

            text.AppendLine(TableHeader);
        }

        foreach (var result in results)
        {
            text.AppendLine(TableRow(result));
        }

        await File.AppendAllTextAsync(path, text.ToString(), cancellationToken).ConfigureAwait(false);
    }

    private static string Kinds(ScenarioResult r) =>
        string.Join(',', r.ErrorKinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key}:{k.Value.ToString(Invariant)}"));
}
