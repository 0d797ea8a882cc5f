using CsCheck;
using Oms.Contracts.Returns;
using Oms.Grains.Returns;

namespace Oms.Tests.Returns;

/// <summary>The return, refund and receipt rules as tables, without Orleans.</summary>
public sealed class ReturnPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ReturnOptions Terms = new();

    private static Dictionary<string, ReturnableLine> Order(bool finalSale = false, int handed = 2, int daysAgo = 3, int returning = 0) => new()
    {
        ["1"] = new ReturnableLine("1", finalSale, handed == 0 ? [] : [new Handed(Now.AddDays(-daysAgo), handed)], returning),
    };

    public static TheoryData<string, bool, int, int, int, string, int, string?> Cases => new()
    {
        // what, final sale, units handed, days since, already returning, line asked, quantity asked, expected rule
        { "a delivered unit within the window", false, 2, 3, 0, "1", 1, null },
        { "every delivered unit", false, 2, 3, 0, "1", 2, null },
        { "the last day of the window", false, 2, 30, 0, "1", 2, null },
        { "one day after the window", false, 2, 31, 0, "1", 1, ReturnPolicy.WindowClosed },
        { "a final-sale unit", true, 2, 3, 0, "1", 1, ReturnPolicy.FinalSale },
        { "nothing delivered yet", false, 0, 3, 0, "1", 1, ReturnPolicy.NotHanded },
        { "more than delivered", false, 2, 3, 0, "1", 3, ReturnPolicy.TooMany },
        { "more than is left after an earlier return", false, 2, 3, 1, "1", 2, ReturnPolicy.TooMany },
        { "what is left after an earlier return", false, 2, 3, 1, "1", 1, null },
        { "everything already on its way back", false, 2, 3, 2, "1", 1, ReturnPolicy.TooMany },
        { "no unit", false, 2, 3, 0, "1", 0, ReturnPolicy.TooMany },
        { "a line the order does not have", false, 2, 3, 0, "9", 1, ReturnPolicy.UnknownLine },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_return_is_authorised_only_for_units_the_customer_has_and_may_still_return(
        string what, bool finalSale, int handed, int daysAgo, int returning, string lineId, int quantity, string? rule)
    {
        var refusal = ReturnPolicy.Check([new ReturnRequestLine(lineId, quantity, ReturnReason.DoesNotFit)], Order(finalSale, handed, daysAgo, returning), Now, Terms);
        Assert.True(rule == refusal?.Rule, $"{what}: expected {rule ?? "allowed"}, got {refusal?.Rule ?? "allowed"} ({refusal?.Message})");
        if (refusal is not null)
        {
            Assert.StartsWith("lines[0].", refusal.Field);
        }
    }

    [Fact]
    public void Units_handed_on_two_days_each_keep_their_own_window()
    {
        var order = new Dictionary<string, ReturnableLine>
        {
            ["1"] = new("1", false, [new Handed(Now.AddDays(-40), 1), new Handed(Now.AddDays(-2), 1)], 0),
        };
        Assert.Null(ReturnPolicy.Check([new ReturnRequestLine("1", 1, ReturnReason.ChangedMind)], order, Now, Terms));
        Assert.Equal(ReturnPolicy.TooMany, ReturnPolicy.Check([new ReturnRequestLine("1", 2, ReturnReason.ChangedMind)], order, Now, Terms)?.Rule);
        Assert.Equal(ReturnPolicy.DuplicateLine, ReturnPolicy.Check(
            [new ReturnRequestLine("1", 1, ReturnReason.ChangedMind), new ReturnRequestLine("1", 1, ReturnReason.ChangedMind)], order, Now, Terms)?.Rule);
        Assert.Equal(Now.AddDays(30), ReturnPolicy.ExpiresAt(Now, Terms));
    }

    public static TheoryData<string, ReturnReason, bool, decimal, decimal> Refunds => new()
    {
        // what, reason, whole order back, restocking fee for changedMind, expected amount (two units at 100, shipping 15)
        { "the units' price", ReturnReason.DoesNotFit, false, 0m, 200m },
        { "the shipping too when the retailer was at fault", ReturnReason.Damaged, false, 0m, 215m },
        { "the shipping too when the whole order comes back", ReturnReason.ChangedMind, true, 0m, 215m },
        { "less the restocking fee of the reason", ReturnReason.ChangedMind, false, 0.1m, 180m },
        { "no fee when the retailer was at fault", ReturnReason.WrongItem, false, 0.1m, 215m },
    };

    [Theory]
    [MemberData(nameof(Refunds))]
    public void A_refund_is_the_units_less_the_fee_plus_shipping_when_due(string what, ReturnReason reason, bool whole, decimal fee, decimal expected)
    {
        var terms = new ReturnOptions { RestockingFees = { [ReturnReason.ChangedMind] = fee } };
        var decision = RefundPolicy.Compute([new RefundLine("1", 2, 100m, reason)], new RefundBasis(315m, 0m, 15m, whole, ShippingRefunded: false), terms);
        Assert.True(expected == decision.Amount, $"{what}: expected {expected}, got {decision.Amount}");
    }

    [Fact]
    public void A_refund_never_takes_the_total_beyond_what_was_paid_nor_refunds_shipping_twice()
    {
        var capped = RefundPolicy.Compute([new RefundLine("1", 2, 100m, ReturnReason.Damaged)], new RefundBasis(215m, 100m, 15m, false, false), Terms);
        Assert.Equal((115m, true), (capped.Amount, capped.Capped));

        var again = RefundPolicy.Compute([new RefundLine("1", 1, 100m, ReturnReason.Damaged)], new RefundBasis(315m, 115m, 15m, true, ShippingRefunded: true), Terms);
        Assert.Equal((100m, 0m), (again.Amount, again.Shipping));
    }

    [Fact]
    public void Refunds_in_any_order_with_any_reasons_and_fees_never_exceed_what_was_paid()
    {
        var line = Gen.Select(Gen.Int[1, 4], Gen.Int[1, 100_000], Gen.Enum<ReturnReason>(), (units, cents, reason) => (Units: units, Price: cents / 100m, Reason: reason));
        var order = Gen.Select(line.Array[1, 6], Gen.Int[0, 5_000], Gen.Int[0, 100], Gen.Bool.Array[6],
            (lines, shippingCents, feePercent, whole) => (Lines: lines, Shipping: shippingCents / 100m, Fee: feePercent / 100m, Whole: whole));
        order.Sample(o =>
        {
            var terms = new ReturnOptions { RestockingFees = { [ReturnReason.ChangedMind] = o.Fee, [ReturnReason.Other] = o.Fee } };
            var paid = o.Lines.Sum(l => l.Units * l.Price) + o.Shipping;
            var (refunded, shippingRefunded) = (0m, false);
            for (var i = 0; i < o.Lines.Length; i++)
            {
                var (units, price, reason) = o.Lines[i];
                var decision = RefundPolicy.Compute([new RefundLine($"{i + 1}", units, price, reason)],
                    new RefundBasis(paid, refunded, o.Shipping, o.Whole[i], shippingRefunded), terms);
                if (decision.Amount < 0)
                {
                    return false;
                }

                refunded += decision.Amount;
                shippingRefunded |= decision.Shipping > 0;
            }

            return refunded <= paid;
        });
    }

    public static TheoryData<string, int, int, int, string?> Receipts => new()
    {
        // what, authorised, received before, receiving now, refused field
        { "part of it", 2, 0, 1, null },
        { "the rest", 2, 1, 1, null },
        { "more than expected", 2, 1, 2, "lines[0].quantity" },
        { "after everything arrived", 2, 2, 1, "returnId" },
    };

    [Theory]
    [MemberData(nameof(Receipts))]
    public void A_receipt_brings_part_or_all_of_what_is_expected_and_no_more(string what, int authorised, int before, int now, string? field)
    {
        var expected = new Dictionary<string, int> { ["1"] = authorised };
        var received = new Dictionary<string, int> { ["1"] = before };
        var status = ReturnLifecycle.After(expected, received);
        var refusal = ReturnLifecycle.Check(status, expected, received, [new ReceiptLine("1", now, ReturnCondition.Resellable)]);
        Assert.True(field == refusal?.Field, $"{what}: expected {field ?? "taken"}, got {refusal?.Field ?? "taken"}");
        if (refusal is null)
        {
            received["1"] += now;
            Assert.Equal(before + now == authorised ? ReturnStatus.Received : ReturnStatus.PartiallyReceived, ReturnLifecycle.After(expected, received));
        }
    }
}
