using Oms.Contracts.Faults;
using Oms.Contracts.Reservations;
using Oms.Tests.Infrastructure;

namespace Oms.Tests.Reservations;

[Collection("cluster")]
public sealed class ReservationGrainTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    private IReservationGrain Reservation(string? id = null) => _grains.GetGrain<IReservationGrain>(id ?? Network.Unique("RES"));

    [Fact]
    public async Task Every_line_is_held_or_none_is_when_one_line_is_short()
    {
        var location = await Network.Location(_grains);
        await Network.Stock(_grains, location, "A", 5);
        await Network.Stock(_grains, location, "B", 1);

        var result = await Reservation().Create(new([new("A", location, 2), new("B", location, 2)], 600));

        Assert.Equal(ReservationOutcome.Short, result.Outcome);
        var shortLine = Assert.Single(result.ShortLines);
        Assert.Equal((1, "B", 1, "insufficient"), (shortLine.LineIndex, shortLine.Sku, shortLine.Available, shortLine.Reason));
        Assert.Equal(0, (await Network.Item(_grains, location, "A").GetLevel()).Reserved);
        Assert.Equal(0, (await Network.Item(_grains, location, "B").GetLevel()).Reserved);
    }

    [Fact]
    public async Task A_failure_injected_after_the_first_line_is_held_releases_that_line_and_is_unavailable_not_short()
    {
        var location = await Network.Location(_grains);
        var failing = FaultInjection.FailingSkuPrefix + "X";
        await Network.Stock(_grains, location, "A", 5);
        await Network.Stock(_grains, location, failing, 5);
        var reservation = Reservation();
        ReservationRequest request = new([new("A", location, 2), new(failing, location, 1)], 600);

        // A line that could not be decided is not a refusal: the caller hears "retry", and nothing stays held.
        await Assert.ThrowsAsync<OmsUnavailableException>(() => reservation.Create(request));
        await Assert.ThrowsAsync<OmsUnavailableException>(() => reservation.Create(request));

        Assert.Equal(0, (await Network.Item(_grains, location, "A").GetLevel()).Reserved);
        Assert.Null(await reservation.Get());
    }

    [Fact]
    public async Task A_replay_returns_the_same_reservation_and_another_body_is_a_conflict()
    {
        var location = await Network.Location(_grains);
        await Network.Stock(_grains, location, "A", 5);
        var reservation = Reservation();
        ReservationRequest request = new([new("A", location, 2)], 600);

        var first = await reservation.Create(request);
        var replay = await reservation.Create(request with { Lines = [new("A", location, 2)] });
        var other = await reservation.Create(new([new("A", location, 3)], 600));

        Assert.Equal(ReservationOutcome.Created, first.Outcome);
        Assert.Equal(ReservationOutcome.Replayed, replay.Outcome);
        Assert.Equal(first.Reservation! with { Lines = [] }, replay.Reservation! with { Lines = [] });
        Assert.Equal(first.Reservation.Lines, replay.Reservation.Lines);
        Assert.Equal(ReservationOutcome.Conflict, other.Outcome);
        Assert.Equal(2, (await Network.Item(_grains, location, "A").GetLevel()).Reserved);
    }

    [Fact]
    public async Task Concurrent_replays_of_one_reservation_hold_once()
    {
        var location = await Network.Location(_grains);
        await Network.Stock(_grains, location, "A", 5);
        var id = Network.Unique("RES");
        ReservationRequest request = new([new("A", location, 2)], 600);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Reservation(id).Create(request)));

        Assert.Single(results, r => r.Outcome == ReservationOutcome.Created);
        Assert.Equal(9, results.Count(r => r.Outcome == ReservationOutcome.Replayed));
        Assert.Equal(2, (await Network.Item(_grains, location, "A").GetLevel()).Reserved);
    }

    [Fact]
    public async Task Release_gives_the_units_back_once_however_often_it_is_called()
    {
        var location = await Network.Location(_grains);
        await Network.Stock(_grains, location, "A", 5);
        var reservation = Reservation();
        await reservation.Create(new([new("A", location, 2)], 600));

        var released = await Task.WhenAll(reservation.Release(), reservation.Release(), reservation.Release());

        Assert.All(released, v => Assert.Equal(ReservationStatus.Released, v!.Status));
        Assert.Equal(5, (await Network.Item(_grains, location, "A").GetLevel()).Available);
        Assert.Null(await Reservation().Release());
    }

    [Fact]
    public async Task A_reservation_expires_and_its_units_return()
    {
        var location = await Network.Location(_grains);
        await Network.Stock(_grains, location, "A", 5);
        var reservation = Reservation();
        await reservation.Create(new([new("A", location, 5)], 2));

        await Eventually.Until(
            () => Network.Item(_grains, location, "A").GetLevel(),
            level => level.Available == 5,
            TimeSpan.FromSeconds(5),
            "the held units come back after the TTL");
        Assert.Equal(ReservationStatus.Expired, (await reservation.Get())!.Status);
    }

    [Fact]
    public async Task Parallel_multi_line_checkouts_never_oversell_and_never_hold_part_of_a_basket()
    {
        var a = await Network.Location(_grains);
        var b = await Network.Location(_grains);
        await Network.Stock(_grains, a, "BAG", 10);
        await Network.Stock(_grains, b, "SCARF", 7);

        var results = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ =>
            Reservation().Create(new([new("BAG", a, 1), new("SCARF", b, 1)], 600))));

        var held = results.Count(r => r.Outcome == ReservationOutcome.Created);
        Assert.Equal(7, held);
        Assert.Equal(7, (await Network.Item(_grains, a, "BAG").GetLevel()).Reserved);
        Assert.Equal(7, (await Network.Item(_grains, b, "SCARF").GetLevel()).Reserved);
    }
}
