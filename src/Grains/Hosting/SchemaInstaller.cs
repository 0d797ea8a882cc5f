using System.Reflection;
using Npgsql;

namespace Oms.Grains.Hosting;

/// <summary>
/// Applies the project's own PostgreSQL scripts (grain storage, clustering, reminders). Every script is
/// idempotent, and the whole run holds an advisory lock, so silos starting together cannot race each other.
/// </summary>
public static class SchemaInstaller
{
    // An arbitrary constant shared by every Oms process; it only has to differ from other apps' locks.
    private const long AdvisoryLockKey = 0x4F4D535F534348; // "OMS_SCH"

    public static IReadOnlyList<string> ScriptNames()
    {
        return [.. typeof(SchemaInstaller).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Oms.Sql.", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
    }

    public static async Task ApplyAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var name in ScriptNames())
        {
            await using var command = new NpgsqlCommand(await ReadScript(name), connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<string> ReadScript(string name)
    {
        await using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded script {name} is missing.");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
