namespace Oms.Contracts.Faults;

/// <summary>
/// A call that could not be decided because a dependency (the database, a silo, a timeout) failed: nothing the
/// caller asked for is acknowledged, and the same call, with the same ids, may be retried. It is the only
/// failure that crosses a grain boundary for infrastructure faults, because a driver's own exception types
/// (a PostgresException, say) cannot be relied on to deserialize in another process.
/// </summary>
[GenerateSerializer, Alias("oms.OmsUnavailableException")]
public sealed class OmsUnavailableException : Exception
{
    public OmsUnavailableException()
    {
    }

    public OmsUnavailableException(string message) : base(message)
    {
    }

    public OmsUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
