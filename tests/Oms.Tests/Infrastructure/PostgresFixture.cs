using Xunit;

namespace Oms.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole run: starting a cluster costs seconds, a database costs milliseconds,
/// so test classes share the server and isolate themselves with <see cref="PostgresServer.CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public PostgresServer Server =>
        _server ?? throw new InvalidOperationException("PostgresFixture.Server was used before xUnit initialized the fixture.");

    public async Task InitializeAsync()
    {
        // A failure here fails every test in the collection with the message explaining how to fix it, never a skip.
        _server = await PostgresServer.StartAsync();
    }

    /// <summary>A fresh database with the project's schema applied, as a silo would find it.</summary>
    public async Task<string> CreateOmsDatabaseAsync(string name)
    {
        var connectionString = await Server.CreateDatabaseAsync(name);
        await Oms.Grains.Hosting.SchemaInstaller.ApplyAsync(connectionString);
        return connectionString;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
}
