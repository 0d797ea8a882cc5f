using Npgsql;

namespace Oms.Grains.Persistence;

/// <summary>
/// The project's own connections to PostgreSQL (the stock ledger, the expiry sweep, readiness). They are opened
/// with the very connection string the Orleans ADO.NET providers use, so Npgsql keeps one pool per process for
/// all of them and a process never opens more than that string's <c>Maximum Pool Size</c>.
/// </summary>
public sealed class OmsDatabase(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
