using Oms.Contracts.Reservations;
using Oms.Grains.Reservations;

namespace Oms.Tests.Reservations;

public sealed class ReservationRulesTests
{
    private static ReservationRequest Request(int ttl = 600, params ReservationLine[] lines) => new(lines, ttl);

    [Fact]
    public void A_well_formed_request_is_valid()
    {
        Assert.Null(ReservationRules.Validate(Request(600, new("BAG-001", "WH-1", 1), new("BAG-002", "WH-1", 2))));
    }

    [Theory]
    [InlineData(0, "ttlSeconds")]
    [InlineData(-5, "ttlSeconds")]
    [InlineData(ReservationRules.MaxTtlSeconds + 1, "ttlSeconds")]
    public void Ttl_out_of_range_names_ttlSeconds(int ttl, string field)
    {
        Assert.Equal(field, ReservationRules.Validate(Request(ttl, new ReservationLine("A", "L", 1)))!.Field);
    }

    [Theory]
    [InlineData("", "L", 1, "lines[0].sku")]
    [InlineData("A B", "L", 1, "lines[0].sku")]
    [InlineData("A", "", 1, "lines[0].locationId")]
    [InlineData("A", "L/1", 1, "lines[0].locationId")]
    [InlineData("A", "L", 0, "lines[0].quantity")]
    [InlineData("A", "L", -1, "lines[0].quantity")]
    [InlineData("A", "L", ReservationRules.MaxQuantity + 1, "lines[0].quantity")]
    public void A_bad_line_names_its_field(string sku, string location, int quantity, string field)
    {
        Assert.Equal(field, ReservationRules.Validate(Request(600, new ReservationLine(sku, location, quantity)))!.Field);
    }

    [Fact]
    public void No_lines_too_many_lines_or_duplicate_lines_are_refused()
    {
        Assert.Equal("lines", ReservationRules.Validate(Request(600))!.Field);
        var many = Enumerable.Range(0, ReservationRules.MaxLines + 1).Select(i => new ReservationLine($"S{i}", "L", 1)).ToArray();
        Assert.Equal("lines", ReservationRules.Validate(Request(600, many))!.Field);
        Assert.Equal("lines[1]", ReservationRules.Validate(Request(600, new("A", "L", 1), new("A", "L", 2)))!.Field);
    }

    [Fact]
    public void Ids_longer_than_64_characters_are_refused()
    {
        Assert.Null(ReservationRules.Validate(Request(600, new ReservationLine(new string('a', 64), "L", 1))));
        Assert.Equal("lines[0].sku", ReservationRules.Validate(Request(600, new ReservationLine(new string('a', 65), "L", 1)))!.Field);
    }

    [Fact]
    public void Same_request_compares_lines_in_order_the_ttl_and_the_customer()
    {
        ReservationLine[] lines = [new("A", "L", 1), new("B", "L", 2)];
        Assert.True(ReservationRules.SameRequest(lines, 600, null, Request(600, new("A", "L", 1), new("B", "L", 2))));
        Assert.False(ReservationRules.SameRequest(lines, 600, null, Request(601, new("A", "L", 1), new("B", "L", 2))));
        Assert.False(ReservationRules.SameRequest(lines, 600, null, Request(600, new("A", "L", 1), new("B", "L", 3))));
        Assert.False(ReservationRules.SameRequest(lines, 600, "C-1", Request(600, new("A", "L", 1), new("B", "L", 2))));
        Assert.True(ReservationRules.SameRequest(lines, 600, "C-1", Request(600, new("A", "L", 1), new("B", "L", 2)) with { CustomerId = "C-1" }));
    }

    [Theory]
    [InlineData(null, "C-1", true)]
    [InlineData("C-1", "C-1", true)]
    [InlineData("C-1", "C-2", false)]
    public void A_reservation_for_a_customer_is_theirs_alone(string? reservedFor, string buyer, bool usable) =>
        Assert.Equal(usable, ReservationRules.IsFor(reservedFor, buyer));
}
