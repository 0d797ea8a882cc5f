using Oms.Contracts.Returns;

namespace Oms.Grains.Returns;

public sealed record ReceiptLine(string LineId, int Quantity, ReturnCondition Condition);

/// <summary>
/// A return's status follows from what was authorised and what arrived: <c>authorised</c> until the first unit,
/// <c>partiallyReceived</c> until the last, then <c>received</c>; <c>expired</c> when the authorisation ran out
/// first, <c>cancelled</c> when care withdrew it. A receipt may bring part of it, in any condition, but never more
/// of a line than is still expected.
/// </summary>
public static class ReturnLifecycle
{
    public static bool IsOpen(ReturnStatus status) => status is ReturnStatus.Authorised or ReturnStatus.PartiallyReceived;

    public static ReturnStatus After(IReadOnlyDictionary<string, int> authorised, IReadOnlyDictionary<string, int> received) =>
        received.Values.Sum() == 0 ? ReturnStatus.Authorised
        : authorised.All(a => received.GetValueOrDefault(a.Key) >= a.Value) ? ReturnStatus.Received
        : ReturnStatus.PartiallyReceived;

    /// <returns>The field and why the receipt is refused, or null.</returns>
    public static (string Field, string Message)? Check(ReturnStatus status, IReadOnlyDictionary<string, int> authorised,
        IReadOnlyDictionary<string, int> received, IReadOnlyList<ReceiptLine> receipt)
    {
        if (!IsOpen(status))
        {
            return ("returnId", $"the return is {System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(status.ToString())}; nothing more is expected.");
        }

        if (receipt.Count == 0)
        {
            return ("lines", "must list at least one line received.");
        }

        var taken = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < receipt.Count; i++)
        {
            var line = receipt[i];
            if (!authorised.TryGetValue(line.LineId, out var expected))
            {
                return ($"lines[{i}].lineId", $"line '{line.LineId}' is not part of this return.");
            }

            var left = expected - received.GetValueOrDefault(line.LineId) - taken.GetValueOrDefault(line.LineId);
            if (line.Quantity < 1 || line.Quantity > left)
            {
                return ($"lines[{i}].quantity", left == 0
                    ? $"every unit of line {line.LineId} in this return has arrived."
                    : $"must be between 1 and {left}, the units of line {line.LineId} still expected.");
            }

            taken[line.LineId] = taken.GetValueOrDefault(line.LineId) + line.Quantity;
        }

        return null;
    }
}
