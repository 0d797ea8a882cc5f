using Npgsql;

namespace Oms.Tests.Infrastructure;

/// <summary>
/// Real database failures, made by the server itself: refusing new connections and killing the open ones, as a
/// failover, a restart or an operator's mistake would.
/// </summary>
public sealed class DatabaseFaults(PostgresServer server, string connectionString)
{
    private readonly string _database = new NpgsqlConnectionStringBuilder(connectionString).Database!;

    /// <summary>New connections are refused and every open one (the pools' too) is terminated.</summary>
    public async Task RefuseConnections()
    {
        await Execute($"ALTER DATABASE \"{_database}\" ALLOW_CONNECTIONS false");
        await TerminateBackends();
    }

    public Task AllowConnections() => Execute($"ALTER DATABASE \"{_database}\" ALLOW_CONNECTIONS true");

    /// <summary>Every open connection to the database dies; pooled ones only find out when next used.</summary>
    public Task TerminateBackends() => Execute(
        $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{_database}' AND pid <> pg_backend_pid()");

    /// <summary>Server-side connections to the database now opened under <paramref name="applicationName"/>.</summary>
    public async Task<long> Connections(string applicationName)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = @db AND application_name = @app", connection);
        command.Parameters.AddWithValue("db", _database);
        command.Parameters.AddWithValue("app", applicationName);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<long> Scalar(string sql)
    {
        // Unpooled, so the test's own look never holds a connection the counts or the faults would see.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    /// <summary>
    /// When each item's hold expired, read from the ledger itself: asking the items would activate them and hide
    /// a sweep that came late.
    /// </summary>
    public static async Task<Dictionary<string, DateTimeOffset>> ExpiryTimes(string connectionString, IEnumerable<string> stockKeys)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT stock_key, at FROM oms_stock_ledger WHERE kind = 'holdExpired' AND stock_key = ANY(@keys)", connection);
        command.Parameters.AddWithValue("keys", stockKeys.ToArray());
        var times = new Dictionary<string, DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            times[reader.GetString(0)] = new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero);
        }

        return times;
    }

    private async Task Execute(string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
