using System.Diagnostics;
using Npgsql;
using Oms.Grains.Hosting;
using Oms.Tests.Infrastructure;

namespace Oms.Capacity;

/// <summary>A throwaway PostgreSQL server with the Oms schema, deleted on dispose even when a run is cut short.</summary>
/// <remarks>
/// The server runs with fsync and synchronous_commit off (see <see cref="PostgresServer"/>); the measurements
/// here are reads, which those settings do not change.
/// </remarks>
public sealed class CapacityDatabase : IAsyncDisposable
{
    private readonly PostgresServer _server;

    private CapacityDatabase(PostgresServer server, string connectionString)
    {
        _server = server;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<CapacityDatabase> StartAsync(CancellationToken cancellationToken)
    {
        var server = await PostgresServer.StartAsync();
        try
        {
            var connectionString = await server.CreateDatabaseAsync("oms_capacity");
            await SchemaInstaller.ApplyAsync(connectionString, cancellationToken);
            return new CapacityDatabase(server, connectionString);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Writes every position with one statement, then vacuums, as a catalogue loaded long ago would be.</summary>
    public async Task<BulkLoad> LoadPositionsAsync(Catalogue catalogue, int items, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var timer = Stopwatch.StartNew();
        await using (var insert = new NpgsqlCommand(catalogue.BulkLoadSql, connection) { CommandTimeout = 0 })
        {
            insert.Parameters.AddWithValue("items", items);
            var inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
            if (inserted != items)
            {
                throw new InvalidOperationException($"The bulk load wrote {inserted} rows, not {items}.");
            }
        }

        var insertTime = timer.Elapsed;

        // Otherwise the first reads also set hint bits and the planner knows nothing of a million rows;
        // neither is what a silo meets on a table that has been in service for a while.
        await using (var vacuum = new NpgsqlCommand("VACUUM ANALYZE oms_stock_ledger", connection) { CommandTimeout = 0 })
        {
            await vacuum.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var size = new NpgsqlCommand("SELECT pg_total_relation_size('oms_stock_ledger')", connection);
        var bytes = (long)(await size.ExecuteScalarAsync(cancellationToken))!;
        return new BulkLoad(items, insertTime, timer.Elapsed - insertTime, bytes);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <param name="TableBytes">The ledger table with its indexes, as PostgreSQL stores it.</param>
public sealed record BulkLoad(int Rows, TimeSpan Insert, TimeSpan Vacuum, long TableBytes);
