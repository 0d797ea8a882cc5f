using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Oms.Grains;
using Oms.Grains.Persistence;
using Oms.Tests.Infrastructure;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace Oms.Tests.Persistence;

/// <summary>
/// The shared grain-state writes on real PostgreSQL, beside Orleans' own ADO.NET provider on the same table: they
/// must be a scheduling of the provider's contract and nothing else. Each reads what the other wrote, for every
/// kind of grain key; many grains' writes go out together and each keeps its own ETag check; and a stale or racing
/// writer fails alone, never its neighbours in the batch.
/// </summary>
[Collection("postgres")]
public sealed class GroupCommitGrainStorageTests(PostgresFixture postgres)
{
    private const string StateName = "basket";

    public sealed class Basket
    {
        public string? Sku { get; set; }

        public int Quantity { get; set; }
    }

    private static readonly GrainId[] KeysOfEveryKind =
    [
        GrainId.Create("order", "ORD-1"),
        GrainId.Create("order", "ORD-ü-ß-€"),
        GrainId.Create("counter", "42"),
        GrainId.Create(GrainType.Create("indexed"), GrainIdKeyExtensions.CreateIntegerKey(42, "ext")),
        GrainId.Create(GrainType.Create("guided"), GrainIdKeyExtensions.CreateGuidKey(Guid.Parse("6f1f7d1c-3b0a-4e59-9a63-52f0f4f8c0d1"))),
        GrainId.Create(GrainType.Create("guided"), GrainIdKeyExtensions.CreateGuidKey(Guid.Parse("6f1f7d1c-3b0a-4e59-9a63-52f0f4f8c0d1"), "ext")),
    ];

    [Fact]
    public async Task Orleans_provider_and_shared_writes_read_each_others_rows_for_every_kind_of_key()
    {
        await using var storage = await Storage.StartAsync(await postgres.CreateOmsDatabaseAsync("oms_gcs_compat"));

        foreach (var grain in KeysOfEveryKind)
        {
            var written = State("SKU-1", 1);
            await storage.Shared.WriteStateAsync(StateName, grain, written);
            var read = await Read(storage.Provider, grain);
            Assert.Equal(("SKU-1", 1, written.ETag, true), (read.State!.Sku, read.State!.Quantity, read.ETag, read.RecordExists));

            read.State!.Quantity = 2;
            await storage.Provider.WriteStateAsync(StateName, grain, read);
            var back = await Read(storage.Shared, grain);
            Assert.Equal(("SKU-1", 2, read.ETag, true), (back.State!.Sku, back.State!.Quantity, back.ETag, back.RecordExists));
        }

        Assert.Equal(KeysOfEveryKind.Length, await Rows(storage.ConnectionString));
    }

    [Fact]
    public async Task Many_grains_writing_at_once_share_round_trips_and_each_gets_its_own_version()
    {
        await using var storage = await Storage.StartAsync(await postgres.CreateOmsDatabaseAsync("oms_gcs_many"));
        var grains = Enumerable.Range(0, 300).Select(i => GrainId.Create("order", $"ORD-{i}")).ToList();
        var states = grains.Select((_, i) => State($"SKU-{i}", i)).ToList();

        await Task.WhenAll(grains.Select((g, i) => storage.Shared.WriteStateAsync(StateName, g, states[i])));
        Assert.All(states, s => Assert.Equal("1", s.ETag));
        await Task.WhenAll(grains.Select((g, i) => storage.Shared.WriteStateAsync(StateName, g, states[i])));
        Assert.All(states, s => Assert.Equal("2", s.ETag));

        var read = await Task.WhenAll(grains.Select(g => Read(storage.Shared, g)));
        Assert.Equal(states.Select(s => (s.State!.Sku, s.State!.Quantity, s.ETag)), read.Select(r => (r.State!.Sku, r.State!.Quantity, r.ETag)));
        Assert.Equal(300, await Rows(storage.ConnectionString));
    }

    [Fact]
    public async Task A_stale_or_racing_writer_fails_alone_and_changes_nothing_while_its_batch_neighbours_commit()
    {
        await using var storage = await Storage.StartAsync(await postgres.CreateOmsDatabaseAsync("oms_gcs_conflict"));
        var contested = GrainId.Create("order", "ORD-CONTESTED");
        var current = State("SKU-A", 1);
        await storage.Shared.WriteStateAsync(StateName, contested, current);
        await storage.Shared.WriteStateAsync(StateName, contested, current);

        // A stale activation (it last saw version 1) and a second first-writer, sent among 100 healthy writes.
        var stale = new GrainState<Basket>(new Basket { Sku = "STALE", Quantity = 9 }) { ETag = "1" };
        var racer = new GrainState<Basket>(new Basket { Sku = "RACER", Quantity = 9 });
        var neighbours = Enumerable.Range(0, 100).Select(i => (Grain: GrainId.Create("order", $"ORD-N{i}"), State: State("SKU-N", i))).ToList();
        var writes = neighbours.Select(n => storage.Shared.WriteStateAsync(StateName, n.Grain, n.State)).ToList();
        var staleWrite = storage.Shared.WriteStateAsync(StateName, contested, stale);
        var racerWrite = storage.Shared.WriteStateAsync(StateName, contested, racer);

        await Task.WhenAll(writes);
        await Assert.ThrowsAsync<InconsistentStateException>(() => staleWrite);
        await Assert.ThrowsAsync<InconsistentStateException>(() => racerWrite);
        var stored = await Read(storage.Provider, contested);
        Assert.Equal(("SKU-A", "2"), (stored.State!.Sku, stored.ETag));
        Assert.All(neighbours, n => Assert.Equal("1", n.State.ETag));
    }

    [Fact]
    public async Task A_grain_never_written_reads_as_a_new_state_without_a_record()
    {
        await using var storage = await Storage.StartAsync(await postgres.CreateOmsDatabaseAsync("oms_gcs_absent"));

        var read = await Read(storage.Shared, GrainId.Create("order", "ORD-NEVER"));

        Assert.Equal((null, 0, null, false), (read.State!.Sku, read.State!.Quantity, read.ETag, read.RecordExists));
    }

    private static GrainState<Basket> State(string sku, int quantity) => new(new Basket { Sku = sku, Quantity = quantity });

    private static async Task<GrainState<Basket>> Read(IGrainStorage storage, GrainId grain)
    {
        var state = new GrainState<Basket>();
        await storage.ReadStateAsync(StateName, grain, state);
        return state;
    }

    private static async Task<long> Rows(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleansstorage", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    /// <summary>Both providers built as a silo builds them, and started through their lifecycle stage as a silo starts them.</summary>
    private sealed class Storage(ServiceProvider services, string connectionString) : IAsyncDisposable
    {
        public string ConnectionString { get; } = connectionString;

        public IGrainStorage Shared { get; } = services.GetRequiredKeyedService<IGrainStorage>(OmsStorage.Name);

        public AdoNetGrainStorage Provider { get; } = AdoNetGrainStorageFactory.Create(services, OmsStorage.Name);

        public static async Task<Storage> StartAsync(string connectionString)
        {
            var services = new ServiceCollection()
                .AddLogging()
                .AddSerializer()
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("c", "svc"))
                .AddSingleton(new OmsDatabase(connectionString))
                .AddOmsGrainStorage(connectionString)
                .BuildServiceProvider();
            var storage = new Storage(services, connectionString);
            var lifecycle = new Lifecycle();
            ((ILifecycleParticipant<ISiloLifecycle>)storage.Shared).Participate(lifecycle);
            storage.Provider.Participate(lifecycle);
            await lifecycle.StartAsync();
            return storage;
        }

        public ValueTask DisposeAsync() => services.DisposeAsync();
    }

    private sealed class Lifecycle : ISiloLifecycle
    {
        private readonly List<ILifecycleObserver> _observers = [];

        public int HighestCompletedStage { get; private set; }

        public int LowestStoppedStage { get; private set; }

        public IDisposable Subscribe(string observerName, int stage, ILifecycleObserver observer)
        {
            _observers.Add(observer);
            return new NoUnsubscribe();
        }

        public async Task StartAsync()
        {
            foreach (var observer in _observers)
            {
                await observer.OnStart(CancellationToken.None);
            }
        }

        private sealed class NoUnsubscribe : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }
}
