using Oms.Grains.Hosting;
using Oms.Tests.Infrastructure;

namespace Oms.Benchmarks.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL server with one database carrying the Oms schema, for benchmarks that must pay
/// the real database round trip. Each BenchmarkDotNet case runs in its own process, so each starts its own.
/// </summary>
/// <remarks>
/// The server runs with fsync and synchronous_commit off (see <see cref="PostgresServer"/>): a commit costs a
/// round trip and a WAL insert but never waits for the disk, so the figures are a floor for a durable server.
/// </remarks>
public sealed class BenchmarkDatabase : IAsyncDisposable
{
    private readonly PostgresServer _server;

    private BenchmarkDatabase(PostgresServer server, string connectionString)
    {
        _server = server;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<BenchmarkDatabase> StartAsync(string name, CancellationToken cancellationToken = default)
    {
        var server = await PostgresServer.StartAsync();
        try
        {
            var connectionString = await server.CreateDatabaseAsync(name);
            await SchemaInstaller.ApplyAsync(connectionString, cancellationToken);
            return new BenchmarkDatabase(server, connectionString);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
