using Oms.Contracts.Orders;
using Oms.Grains.Fulfilments;

namespace Oms.Tests.Fulfilment;

public sealed class FulfilmentSplitTests
{
    private static readonly FulfilmentLine[] Open = [new("1", 2), new("2", 1), new("3", 3)];

    [Fact]
    public void Without_lines_a_report_covers_every_unit_and_leaves_nothing_behind()
    {
        var (covered, rest, error) = FulfilmentSplit.Divide(Open, null);
        Assert.Null(error);
        Assert.Equal(Open, covered);
        Assert.Empty(rest);
    }

    [Fact]
    public void A_partial_report_moves_what_it_names_and_leaves_the_rest_in_plan_order()
    {
        var (covered, rest, error) = FulfilmentSplit.Divide(Open, [new("3", 1), new("1", 2)]);
        Assert.Null(error);
        Assert.Equal([new FulfilmentLine("1", 2), new FulfilmentLine("3", 1)], covered);
        Assert.Equal([new FulfilmentLine("2", 1), new FulfilmentLine("3", 2)], rest);
    }

    [Fact]
    public void Naming_every_unit_line_by_line_leaves_nothing_behind()
    {
        var (covered, rest, _) = FulfilmentSplit.Divide(Open, [new("1", 2), new("2", 1), new("3", 3)]);
        Assert.Equal(Open, covered);
        Assert.Empty(rest);
    }

    [Theory]
    [InlineData("9", 1, "lines[0].lineId")]
    [InlineData("1", 0, "lines[0].quantity")]
    [InlineData("1", 3, "lines[0].quantity")]
    [InlineData("2", -1, "lines[0].quantity")]
    public void A_line_the_fulfilment_does_not_hold_or_a_quantity_beyond_it_is_refused_by_field(string lineId, int quantity, string field) =>
        Assert.Equal(field, FulfilmentSplit.Divide(Open, [new(lineId, quantity)]).Error?.Field);

    [Fact]
    public void A_line_named_twice_or_an_empty_list_is_refused()
    {
        Assert.Equal("lines[1].lineId", FulfilmentSplit.Divide(Open, [new("1", 1), new("1", 1)]).Error?.Field);
        Assert.Equal("lines", FulfilmentSplit.Divide(Open, []).Error?.Field);
    }
}
