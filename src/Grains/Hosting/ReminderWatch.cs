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

    public async Task Stop()
    {
        if (await grain.GetReminder(name) is { } reminder)
        {
            await grain.UnregisterReminder(reminder);
        }

        _watching = false;
    }
}
