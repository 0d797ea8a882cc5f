namespace Oms.Contracts.Faults;

/// <summary>
/// Every method of the interface (or the one method) decides once per id it is given, or only reads: sending the
/// same call twice changes nothing the first did not. Only such calls are sent again when the silo they went to
/// left the cluster, because then nobody can tell whether the first was applied.
/// </summary>
[AttributeUsage(AttributeTargets.Interface | AttributeTargets.Method, Inherited = false)]
public sealed class IdempotentAttribute : Attribute;
