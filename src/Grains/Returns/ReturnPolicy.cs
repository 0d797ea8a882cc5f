using Oms.Contracts.Returns;

namespace Oms.Grains.Returns;

/// <summary><c>Oms:Returns:*</c>: the retailer's return and refund terms.</summary>
public sealed class ReturnOptions
{
    /// <summary>Days after delivery or collection in which a unit may be returned.</summary>
    public int WindowDays { get; set; } = 30;

    /// <summary>Days an authorisation waits for the units before it expires.</summary>
    public int AuthorisationDays { get; set; } = 30;

    /// <summary>Per reason, the share of the units' price kept back (0.1 is ten per cent); none by default.</summary>
    public Dictionary<ReturnReason, decimal> RestockingFees { get; set; } = [];

    /// <summary>The length of one of <see cref="WindowDays"/> and <see cref="AuthorisationDays"/>; tests and demos shorten it.</summary>
    public TimeSpan Day { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often an order with open returns is woken by its reminder: after a crash, this bounds how late
    /// an authorisation expires and how long news waits to reach the order.</summary>
    public TimeSpan WatchPeriod { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Units of one line that reached the customer at one moment (a delivery, a collection).</summary>
public readonly record struct Handed(DateTimeOffset At, int Units);

/// <summary>What the policy needs to know of an order line.</summary>
/// <param name="Handed">Every delivery or collection of its units.</param>
/// <param name="Returning">Units already returned, or authorised and still expected.</param>
public sealed record ReturnableLine(string LineId, bool FinalSale, IReadOnlyList<Handed> Handed, int Returning);

public sealed record ReturnRequestLine(string LineId, int Quantity, ReturnReason Reason);

/// <summary>Why a line may not be returned: the field to fix, the rule (a stable name) and the words for a person.</summary>
public sealed record ReturnRefusal(string Field, string Rule, string Message);

/// <summary>
/// Which units may be returned: only units that reached the customer, within the window after they did, never
/// final-sale ones, and never more than reached the customer less those already returned or on their way back.
/// Pure and table-tested; the return grain asks it before it authorises anything.
/// </summary>
public static class ReturnPolicy
{
    public const string UnknownLine = "unknownLine";
    public const string DuplicateLine = "duplicateLine";
    public const string FinalSale = "finalSale";
    public const string NotHanded = "notDelivered";
    public const string WindowClosed = "windowClosed";
    public const string TooMany = "moreThanReturnable";

    /// <returns>The first refusal, in the request's line order, or null when every line may be returned.</returns>
    public static ReturnRefusal? Check(IReadOnlyList<ReturnRequestLine> lines, IReadOnlyDictionary<string, ReturnableLine> order, DateTimeOffset now, ReturnOptions options)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var (line, field) = (lines[i], $"lines[{i}]");
            if (!order.TryGetValue(line.LineId, out var facts))
            {
                return new($"{field}.lineId", UnknownLine, $"the order has no line '{line.LineId}'.");
            }

            if (!seen.Add(line.LineId))
            {
                return new($"{field}.lineId", DuplicateLine, "appears more than once.");
            }

            if (facts.FinalSale)
            {
                return new($"{field}.lineId", FinalSale, $"line {line.LineId} was sold as final sale and cannot be returned.");
            }

            var handed = facts.Handed.Sum(h => h.Units);
            if (handed == 0)
            {
                return new($"{field}.lineId", NotHanded, $"no unit of line {line.LineId} has been delivered or collected yet; cancel it instead.");
            }

            // The oldest units are the first counted as returned: the customer keeps the newest window open longest.
            var closes = options.Day * options.WindowDays;
            var open = facts.Handed.Where(h => now - h.At <= closes).Sum(h => h.Units);
            var returnable = Math.Max(0, Math.Min(open, handed - facts.Returning));
            if (returnable == 0 && handed - facts.Returning > 0)
            {
                return new($"{field}.lineId", WindowClosed, $"the {options.WindowDays}-day return window of line {line.LineId} has closed.");
            }

            if (line.Quantity < 1 || line.Quantity > returnable)
            {
                return new($"{field}.quantity", TooMany,
                    returnable == 0
                        ? $"every delivered unit of line {line.LineId} is already returned or on its way back."
                        : $"must be between 1 and {returnable}, the units of line {line.LineId} that may still be returned.");
            }
        }

        return null;
    }

    /// <summary>When an authorisation made at <paramref name="at"/> expires if nothing arrives.</summary>
    public static DateTimeOffset ExpiresAt(DateTimeOffset at, ReturnOptions options) => at + options.Day * options.AuthorisationDays;
}
