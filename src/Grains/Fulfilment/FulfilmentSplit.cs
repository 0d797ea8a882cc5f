using Oms.Contracts.Orders;

namespace Oms.Grains.Fulfilments;

/// <summary>
/// How a report about some lines of a fulfilment divides it: the units the report names move on (a parcel of a
/// partial shipment), and the rest stays behind under the original id, where the location keeps reporting on it.
/// </summary>
public static class FulfilmentSplit
{
    /// <param name="open">The fulfilment's units, per line.</param>
    /// <param name="named">The report's <c>lines</c>; null covers every unit.</param>
    /// <returns>The units the report covers and those left behind (empty when it covers all), or the field it is refused for.</returns>
    public static (IReadOnlyList<FulfilmentLine> Covered, IReadOnlyList<FulfilmentLine> Remaining, FieldError? Error) Divide(
        IReadOnlyList<FulfilmentLine> open, IReadOnlyList<FulfilmentLine>? named)
    {
        if (named is null)
        {
            return (open, [], null);
        }

        if (named.Count == 0)
        {
            return ([], [], new FieldError("lines", "must name at least one line, or be left out to cover every unit."));
        }

        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < named.Count; i++)
        {
            var line = named[i];
            var units = open.Where(l => l.LineId == line.LineId).Sum(l => l.Quantity);
            if (units == 0)
            {
                return ([], [], new FieldError($"lines[{i}].lineId", $"the fulfilment has no units of line '{line.LineId}'."));
            }

            if (!wanted.TryAdd(line.LineId, line.Quantity))
            {
                return ([], [], new FieldError($"lines[{i}].lineId", "appears more than once."));
            }

            if (line.Quantity < 1 || line.Quantity > units)
            {
                return ([], [], new FieldError($"lines[{i}].quantity", $"must be between 1 and {units}, the fulfilment's units of that line."));
            }
        }

        // In the fulfilment's own line order, so both parts read the way the plan did.
        var covered = open.Where(l => wanted.ContainsKey(l.LineId)).Select(l => l with { Quantity = wanted[l.LineId] }).ToList();
        var rest = open
            .Select(l => l with { Quantity = l.Quantity - wanted.GetValueOrDefault(l.LineId) })
            .Where(l => l.Quantity > 0)
            .ToList();
        return (covered, rest, null);
    }
}
