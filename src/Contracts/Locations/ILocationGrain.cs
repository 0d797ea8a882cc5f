namespace Oms.Contracts.Locations;

/// <summary>One per location (warehouse or boutique), keyed by location id.</summary>
[Alias("oms.ILocationGrain")]
public interface ILocationGrain : IGrainWithStringKey
{
    /// <returns>true when the location was created, false when an existing one was updated.</returns>
    [Alias("Upsert")]
    Task<bool> Upsert(LocationInfo location);

    [Alias("Get")]
    Task<LocationInfo?> Get();
}

/// <summary>
/// The registry of every location, so listing them is one call rather than a scan of storage.
/// There is a single instance, keyed <see cref="Key"/>; it is small (hundreds of rows) and read rarely.
/// </summary>
[Alias("oms.ILocationDirectoryGrain")]
public interface ILocationDirectoryGrain : IGrainWithStringKey
{
    const string Key = "all";

    [Alias("Register")]
    Task Register(LocationInfo location);

    [Alias("List")]
    Task<IReadOnlyList<LocationInfo>> List();
}
