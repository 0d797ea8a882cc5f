using Oms.Contracts.Returns;

namespace Oms.Grains.Returns;

/// <summary>A line's units to refund, at the price they were sold for.</summary>
public sealed record RefundLine(string LineId, int Quantity, decimal UnitPrice, ReturnReason? Reason);

/// <param name="Paid">What the customer paid: every line at its price, and the shipping.</param>
/// <param name="Refunded">What refunds already requested or paid add up to; a failed refund does not count.</param>
/// <param name="WholeOrder">These units and those returned or cancelled before are every unit ordered.</param>
public sealed record RefundBasis(decimal Paid, decimal Refunded, decimal ShippingAmount, bool WholeOrder, bool ShippingRefunded);

public sealed record RefundDecision(decimal Amount, decimal Units, decimal RestockingFee, decimal Shipping, bool Capped);

/// <summary>
/// What the OMS asks accounting to refund: the units' price, less the restocking fee of their reason, plus the
/// shipping when the whole order comes back or the retailer was at fault; never more than is left of what was paid.
/// </summary>
public static class RefundPolicy
{
    public static bool RetailersFault(ReturnReason reason) => reason is ReturnReason.Damaged or ReturnReason.WrongItem or ReturnReason.NotAsDescribed;

    public static RefundDecision Compute(IReadOnlyList<RefundLine> lines, RefundBasis basis, ReturnOptions options)
    {
        decimal units = 0, fee = 0;
        foreach (var line in lines)
        {
            var price = line.UnitPrice * line.Quantity;
            units += price;
            if (line.Reason is { } reason && !RetailersFault(reason) && options.RestockingFees.TryGetValue(reason, out var share))
            {
                fee += decimal.Round(price * Math.Clamp(share, 0m, 1m), 2, MidpointRounding.ToEven);
            }
        }

        var shipping = !basis.ShippingRefunded && (basis.WholeOrder || lines.Any(l => l.Reason is { } r && RetailersFault(r)))
            ? basis.ShippingAmount
            : 0m;
        var wanted = units - fee + shipping;
        var left = Math.Max(0m, basis.Paid - basis.Refunded);
        return new RefundDecision(Math.Min(wanted, left), units, fee, shipping, wanted > left);
    }
}
