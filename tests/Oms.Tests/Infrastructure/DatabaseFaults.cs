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

    private async Task Execute(string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
