using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Oms.Grains.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Oms.Grains.Persistence;

/// <summary>
/// The ADO.NET grain storage with its writes and reads shared: every grain of the silo that writes (or activates)
/// while a round trip is in flight goes in the next one, one implicit transaction of the very
/// <c>orleans_storage_write</c> calls (or <c>orleansstorage</c> reads) the provider makes one by one. A checkout
/// writes an order, a fulfilment, a customer and a reservation; under load those are many commits of one row each,
/// where this makes them one commit of many rows, the stock ledger's group commit applied to grain state.
/// </summary>
/// <remarks>
/// Rows, keys, hashes and versions are the provider's own (<see cref="StorageKey"/>), so Orleans'
/// <see cref="AdoNetGrainStorage"/> reads what this writes and the other way round: this is a scheduling of the
/// same contract, not another storage. A grain's ETag check is its own row's, so one grain's conflict fails that
/// grain alone; a batch the server refuses is tried again row by row, so one bad row cannot fail its neighbours.
/// Clearing is rare and goes through the provider as it is.
/// </remarks>
public sealed class GroupCommitGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Rows of a batch by their payload's size in KiB, so a few large states do not make one huge round trip.</summary>
    private const int MaxBatchWeight = 512;

    private const string WriteSql = "SELECT newgrainstateversion FROM orleans_storage_write($1, $2, $3, $4, $5, $6, $7, $8, $9)";

    private const string ReadSql = """
        SELECT payloadbinary, version FROM orleansstorage
        WHERE grainidhash = $1 AND graintypehash = $4 AND grainidn0 = $2 AND grainidn1 = $3 AND serviceid = $7
          AND graintypestring = $5 AND grainidextensionstring IS NOT DISTINCT FROM $6
        """;

    private readonly AdoNetGrainStorage _provider;
    private readonly OmsDatabase _database;
    private readonly IActivatorProvider _activators;
    private readonly string _serviceId;
    private readonly string _name;
    private readonly GroupCommit<Write> _writes;
    private readonly GroupCommit<Read> _reads;

    public GroupCommitGrainStorage(AdoNetGrainStorage provider, OmsDatabase database, IActivatorProvider activators, string serviceId, string name)
    {
        _provider = provider;
        _database = database;
        _activators = activators;
        _serviceId = serviceId;
        _name = name;
        _writes = new GroupCommit<Write>(batch => SharedStatement.Run(batch, WriteAll), MaxBatchWeight, w => 1 + (w.Payload.Length >> 10));
        _reads = new GroupCommit<Read>(batch => SharedStatement.Run(batch, ReadAll), MaxBatchWeight);
    }

    public void Participate(ISiloLifecycle lifecycle) => _provider.Participate(lifecycle);

    public Task ClearStateAsync<T>(string grainType, GrainId grainId, IGrainState<T> grainState) =>
        _provider.ClearStateAsync(grainType, grainId, grainState);

    public async Task ReadStateAsync<T>(string grainType, GrainId grainId, IGrainState<T> grainState)
    {
        if (Key(grainType, grainId, grainState) is not { } key)
        {
            await _provider.ReadStateAsync(grainType, grainId, grainState);
            return;
        }

        var read = new Read(key);
        await _reads.Submit(read);
        read.Failure?.Throw();
        grainState.State = (read.Payload is { } payload ? _provider.Serializer.Deserialize<T>(new BinaryData(payload)) : default)
            ?? _activators.GetActivator<T>().Create();
        grainState.ETag = read.Version?.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = read.Payload is not null;
    }

    public async Task WriteStateAsync<T>(string grainType, GrainId grainId, IGrainState<T> grainState)
    {
        if (Key(grainType, grainId, grainState) is not { } key)
        {
            await _provider.WriteStateAsync(grainType, grainId, grainState);
            return;
        }

        // Serialized now, in the grain's turn: the batch goes out later, and the state may have moved on by then.
        var sent = string.IsNullOrWhiteSpace(grainState.ETag) ? (int?)null : int.Parse(grainState.ETag, CultureInfo.InvariantCulture);
        var write = new Write(key, sent, _provider.Serializer.Serialize(grainState.State).ToArray());
        await _writes.Submit(write);
        write.Failure?.Throw();

        // The provider's rule: the function answers the version sent when its insert or update matched no row.
        var stored = write.Stored?.ToString(CultureInfo.InvariantCulture);
        if (stored == grainState.ETag || (stored is null && grainState.ETag is not null))
        {
            throw new InconsistentStateException(
                $"Version conflict (WriteState): ServiceId={_serviceId} ProviderName={_name} GrainType={key.TypeString} GrainId={grainId} ETag={grainState.ETag}.");
        }

        grainState.ETag = stored;
        grainState.RecordExists = true;
    }

    /// <summary>The provider's row key, or null for a generic grain type, which its own code names and this leaves to it.</summary>
    private StorageKey? Key<T>(string grainType, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainType.Contains('`'))
        {
            return null;
        }

        var hasher = _provider.HashPicker.PickHasher(_serviceId, _name, grainType, grainId, grainState)!;
        return StorageKey.Of(grainType, grainId, hasher);
    }

    private async Task WriteAll(IReadOnlyList<Write> batch)
    {
        await using var connection = await _database.OpenAsync();
        await using var command = new NpgsqlBatch(connection);
        foreach (var write in batch)
        {
            var call = new NpgsqlBatchCommand(WriteSql);
            AddKey(call, write.Key);
            call.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = write.Sent is { } v ? v : DBNull.Value });
            call.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = write.Payload });
            command.BatchCommands.Add(call);
        }

        // An implicit transaction: the batch commits as the last result is read, so nobody hears success before that.
        var versions = new int?[batch.Count];
        await using (var reader = await command.ExecuteReaderAsync())
        {
            for (var i = 0; i < batch.Count; i++)
            {
                versions[i] = await reader.ReadAsync() && !reader.IsDBNull(0) ? reader.GetInt32(0) : null;
                await reader.NextResultAsync();
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Stored = versions[i];
        }
    }

    private async Task ReadAll(IReadOnlyList<Read> batch)
    {
        await using var connection = await _database.OpenAsync();
        await using var command = new NpgsqlBatch(connection);
        foreach (var read in batch)
        {
            var select = new NpgsqlBatchCommand(ReadSql);
            AddKey(select, read.Key);
            command.BatchCommands.Add(select);
        }

        var rows = new (byte[]? Payload, int? Version)[batch.Count];
        await using (var reader = await command.ExecuteReaderAsync())
        {
            for (var i = 0; i < batch.Count; i++)
            {
                if (await reader.ReadAsync())
                {
                    rows[i] = (reader.IsDBNull(0) ? null : reader.GetFieldValue<byte[]>(0), reader.GetInt32(1));
                }

                await reader.NextResultAsync();
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            (batch[i].Payload, batch[i].Version) = rows[i];
        }
    }

    /// <summary>The key in the write function's parameter order, which the read's placeholders follow too.</summary>
    private void AddKey(NpgsqlBatchCommand command, StorageKey key)
    {
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<int> { TypedValue = key.IdHash });
        p.Add(new NpgsqlParameter<long> { TypedValue = key.N0 });
        p.Add(new NpgsqlParameter<long> { TypedValue = key.N1 });
        p.Add(new NpgsqlParameter<int> { TypedValue = key.TypeHash });
        p.Add(new NpgsqlParameter<string> { TypedValue = key.TypeString });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)key.Extension ?? DBNull.Value });
        p.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
    }

    private abstract class Pending(StorageKey key) : SharedStatement
    {
        public StorageKey Key { get; } = key;
    }

    private sealed class Write(StorageKey key, int? sent, byte[] payload) : Pending(key)
    {
        public int? Sent { get; } = sent;

        public byte[] Payload { get; } = payload;

        public int? Stored { get; set; }
    }

    private sealed class Read(StorageKey key) : Pending(key)
    {
        public byte[]? Payload { get; set; }

        public int? Version { get; set; }
    }
}

public static class GrainStorageHosting
{
    /// <summary>
    /// The ADO.NET provider as Orleans registers it, its writes and reads shared by the silo's grains: the last keyed
    /// registration is the one resolved, and the provider's lifecycle registration resolves it too. Needs the
    /// <see cref="OmsDatabase"/> of the same connection string.
    /// </summary>
    public static IServiceCollection AddOmsGrainStorage(this IServiceCollection services, string connectionString)
    {
        services.AddAdoNetGrainStorage(OmsStorage.Name, o =>
        {
            o.Invariant = OmsHosting.Invariant;
            o.ConnectionString = connectionString;
            o.GrainStorageSerializer = new JsonGrainStateSerializer();
        });
        return services.AddKeyedSingleton<IGrainStorage>(OmsStorage.Name, (sp, key) => new GroupCommitGrainStorage(
            AdoNetGrainStorageFactory.Create(sp, (string)key!),
            sp.GetRequiredService<OmsDatabase>(),
            sp.GetRequiredService<IActivatorProvider>(),
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            (string)key!));
    }
}

/// <summary>
/// Where the ADO.NET grain storage keeps a grain's row: a GUID key split into its two halves, an integer key in the
/// second, a string key (or any key's extension) in the extension column, and the hashes of the key's bytes and of
/// the state's name that the row is looked up by. The provider's layout, so both can share one table.
/// </summary>
public readonly record struct StorageKey(int IdHash, long N0, long N1, string? Extension, int TypeHash, string TypeString)
{
    public static StorageKey Of(string grainType, GrainId grainId, IHasher hasher)
    {
        long n0 = 0, n1 = 0;
        string? extension;
        byte[]? numeric = null;
        if (grainId.TryGetGuidKey(out var guid, out extension))
        {
            var bytes = guid.ToByteArray();
            n0 = BitConverter.ToInt64(bytes, 0);
            n1 = BitConverter.ToInt64(bytes, 8);
            numeric = bytes;
        }
        else if (grainId.TryGetIntegerKey(out var integer, out extension))
        {
            n1 = integer;
            numeric = BitConverter.GetBytes(integer);
        }
        else
        {
            extension = grainId.Key.ToString();
        }

        // The key's bytes, then the extension's, reversed on a little-endian machine: what the provider hashes.
        var keyBytes = numeric is null
            ? Encoding.UTF8.GetBytes(extension!)
            : extension is null ? numeric : [.. numeric, .. Encoding.UTF8.GetBytes(extension)];
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(keyBytes);
        }

        return new StorageKey(hasher.Hash(keyBytes), n0, n1, extension, hasher.Hash(Encoding.UTF8.GetBytes(grainType)), grainType);
    }
}
