using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Oms.Contracts.Reservations;
using Oms.Grains.Hosting;
using Oms.Grains.Persistence;
using Orleans.Concurrency;

namespace Oms.Grains.Reservations;

/// <summary>
/// When reservations fall due, for the sweep that rolls back a crashed placement and announces expiries. A reminder per reservation
/// would cost the flash-sale path a row write of its own; these rows are written in group commits, so a burst of
/// reservations shares a handful of round trips.
/// </summary>
public interface IReservationDeadlines
{
    /// <summary>Completes once the row is durable.</summary>
    Task Add(string reservationId, DateTimeOffset due);

    Task<IReadOnlyList<string>> Due(DateTimeOffset before, int limit, CancellationToken cancellationToken = default);

    Task Remove(IReadOnlyList<string> reservationIds, CancellationToken cancellationToken = default);
}

/// <summary><c>oms_reservation_deadline</c>: adds from every grain of the silo go out together while one is in flight.</summary>
public sealed class PostgresReservationDeadlines(OmsDatabase database) : IReservationDeadlines
{
    private readonly GroupCommit<(string Id, DateTimeOffset Due)> _adds = new(batch => Insert(database, batch));

    public Task Add(string reservationId, DateTimeOffset due) => _adds.Submit((reservationId, due));

    public async Task<IReadOnlyList<string>> Due(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT reservation_id FROM oms_reservation_deadline WHERE due <= @before ORDER BY due LIMIT @limit", connection);
        command.Parameters.Add(new NpgsqlParameter("before", NpgsqlDbType.TimestampTz) { Value = before.UtcDateTime });
        command.Parameters.AddWithValue("limit", (long)limit);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public async Task Remove(IReadOnlyList<string> reservationIds, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("DELETE FROM oms_reservation_deadline WHERE reservation_id = ANY(@ids)", connection);
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = reservationIds.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task Insert(OmsDatabase database, IReadOnlyList<(string Id, DateTimeOffset Due)> batch)
    {
        // The latest due wins for an id given twice (a reused id): the grain decides from its own state anyway.
        var rows = batch.GroupBy(r => r.Id).Select(g => g.Last()).ToList();
        await using var connection = await database.OpenAsync();
        await using var command = new NpgsqlCommand("""
            INSERT INTO oms_reservation_deadline (reservation_id, due) SELECT * FROM unnest(@ids, @dues)
            ON CONFLICT (reservation_id) DO UPDATE SET due = EXCLUDED.due
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = rows.Select(r => r.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("dues", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = rows.Select(r => r.Due.UtcDateTime).ToArray() });
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>The embedded default's index: one grain per cluster, so every silo's sweep sees every reservation.</summary>
public sealed class MemoryReservationDeadlines(IGrainFactory grains) : IReservationDeadlines
{
    private IMemoryReservationDeadlinesGrain Index => grains.GetGrain<IMemoryReservationDeadlinesGrain>(0);

    public Task Add(string reservationId, DateTimeOffset due) => Index.Add(reservationId, due);

    public Task<IReadOnlyList<string>> Due(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) => Index.Due(before, limit);

    public Task Remove(IReadOnlyList<string> reservationIds, CancellationToken cancellationToken = default) => Index.Remove(reservationIds);
}

[Alias("oms.IMemoryReservationDeadlinesGrain")]
public interface IMemoryReservationDeadlinesGrain : IGrainWithIntegerKey
{
    [Alias("Add")]
    Task Add(string reservationId, DateTimeOffset due);

    [ReadOnly, Alias("Due")]
    Task<IReadOnlyList<string>> Due(DateTimeOffset before, int limit);

    [Alias("Remove")]
    Task Remove(IReadOnlyList<string> reservationIds);
}

[KeepAlive]
public sealed class MemoryReservationDeadlinesGrain : Grain, IMemoryReservationDeadlinesGrain
{
    private readonly Dictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);

    public Task Add(string reservationId, DateTimeOffset due)
    {
        _due[reservationId] = due;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> Due(DateTimeOffset before, int limit) =>
        Task.FromResult<IReadOnlyList<string>>([.. _due.Where(d => d.Value <= before).OrderBy(d => d.Value).Take(limit).Select(d => d.Key)]);

    public Task Remove(IReadOnlyList<string> reservationIds)
    {
        foreach (var id in reservationIds)
        {
            _due.Remove(id);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Runs on every silo: wakes the reservations that fell due, so each announces its expiry within about a
/// second plus one interval, even when the silo that held it died. A row is dropped once its reservation has
/// nothing left to say; one whose reservation could not be reached stays for the next sweep.
/// </summary>
public sealed class ReservationExpirySweep(
    IGrainFactory grains,
    IReservationDeadlines deadlines,
    TimeProvider clock,
    ILogger<ReservationExpirySweep> logger) : BackgroundService
{
    private const int MaxPerSweep = 500;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan WakeTimeout = TimeSpan.FromSeconds(2);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Sweep.Every(Interval, clock, logger, "reservation expiry sweep", SweepOnce, stoppingToken);

    private async Task SweepOnce(CancellationToken stoppingToken)
    {
        var due = await deadlines.Due(clock.GetUtcNow(), MaxPerSweep, stoppingToken);
        var settled = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Sweep.WakeEach(due, WakeTimeout, async id =>
            {
                if (await grains.GetGrain<IReservationGrain>(id).Lapse())
                {
                    settled.Add(id);
                }
            },
            (id, ex) => logger.LogDebug(ex, "Could not wake reservation {Id} at its expiry; the next sweep retries", id),
            stoppingToken);

        if (!settled.IsEmpty)
        {
            await deadlines.Remove([.. settled], stoppingToken);
        }
    }
}

public static class ReservationHosting
{
    public static IServiceCollection AddReservationDeadlines(this IServiceCollection services, bool persistent)
    {
        if (persistent)
        {
            services.AddSingleton<IReservationDeadlines, PostgresReservationDeadlines>();
        }
        else
        {
            services.AddSingleton<IReservationDeadlines, MemoryReservationDeadlines>();
        }

        services.AddHostedService<ReservationExpirySweep>();
        return services;
    }
}
