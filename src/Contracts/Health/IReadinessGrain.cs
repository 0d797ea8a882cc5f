namespace Oms.Contracts.Health;

/// <summary>What a silo needs to serve: itself, and the database it keeps state in. Any silo answers.</summary>
[Alias("oms.IReadinessGrain")]
public interface IReadinessGrain : IGrainWithIntegerKey
{
    /// <returns>null when ready, else why not.</returns>
    [Alias("Check")]
    Task<string?> Check();
}
