namespace Oms.Contracts.Security;

/// <summary>
/// Who a grain call is on behalf of. The API sets it from the credential; Orleans carries it on every call
/// the request causes, so the stock item a checkout allocates from records the same actor as the order,
/// without an actor parameter on every method that a body could fill in.
/// </summary>
public static class ActorContext
{
    private const string Key = "oms.actor";
    private const string NameKey = "oms.actor.name";

    /// <summary>Work no request asked for: hold expiry, checkout recovery, reminders.</summary>
    public const string System = "system";

    public static string Current => RequestContext.Get(Key) as string ?? System;

    /// <summary>The credential's display name (a key's name), for people reading a timeline; null for the system.</summary>
    public static string? CurrentName => RequestContext.Get(NameKey) as string;

    public static void Set(string actor, string? name)
    {
        RequestContext.Set(Key, actor);
        if (name is not null)
        {
            RequestContext.Set(NameKey, name);
        }
    }
}
