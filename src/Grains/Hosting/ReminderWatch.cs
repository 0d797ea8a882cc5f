namespace Oms.Grains.Hosting;

/// <summary>
/// The one reminder a grain keeps while something it wrote may need finishing after a crash (news not yet told,
/// stock work, a deadline). It is registered at most once per activation, since a reminder write is a storage
/// write, and unregistered when nothing is left to watch.
/// </summary>
/// <param name="dueTime">When the first tick may come; later ticks come every <paramref name="period"/>.</param>
public sealed class ReminderWatch(Grain grain, string name, TimeSpan dueTime, TimeSpan period)
{
    private bool _watching;
    private IGrainTimer? _retry;

    public string Name => name;

    /// <summary>The reminder ticked, so it is registered: the next <see cref="Watch"/> costs nothing.</summary>
    public void Ticked() => _watching = true;

    public async Task Watch()
    {
        if (_watching)
        {
            return;
        }

        await grain.RegisterOrUpdateReminder(name, dueTime, period);
        _watching = true;
    }

    /// <summary>
    /// Work that failed on a dependency (telling the order, the queues) is tried again in a second while this
    /// activation lives, rather than only at the reminder's next tick; the reminder still covers a crash.
    /// </summary>
    public void RetrySoon(Func<Task> work) => _retry ??= grain.RegisterGrainTimer(async () =>
    {
        _retry?.Dispose();
        _retry = null;
        await work();
    }, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

    public async Task Stop()
    {
        if (await grain.GetReminder(name) is { } reminder)
        {
            await grain.UnregisterReminder(reminder);
        }

        _watching = false;
    }
}
