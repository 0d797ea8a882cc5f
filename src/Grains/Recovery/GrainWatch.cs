namespace Oms.Grains.Recovery;

/// <summary>
/// The one watch a grain keeps while something it wrote may need finishing after a crash (news not yet told,
/// stock work, a deadline): its grain's <see cref="IRemindable.ReceiveReminder"/> ticks first after
/// <paramref name="dueTime"/>, then every <paramref name="period"/>, from whichever silo's sweep finds it due, until
/// it is stopped. A watch is a row of <see cref="IWatchTable"/>, written at most once per activation and shared in
/// a group commit with the silo's other grains, where a reminder was a row write of its own.
/// </summary>
public sealed class GrainWatch(Grain grain, IWatchTable table, TimeProvider clock, string name, TimeSpan dueTime, TimeSpan period)
{
    private bool _watching;
    private IGrainTimer? _retry;

    public async Task Watch()
    {
        if (_watching)
        {
            return;
        }

        await table.Watch(grain.GetGrainId(), name, clock.GetUtcNow() + dueTime, period);
        _watching = true;
    }

    /// <summary>
    /// Work that failed on a dependency (telling the order, the queues) is tried again in a second while this
    /// activation lives, rather than only at the watch's next tick; the watch still covers a crash.
    /// </summary>
    public void RetrySoon(Func<Task> work) => _retry ??= grain.RegisterGrainTimer(async () =>
    {
        _retry?.Dispose();
        _retry = null;
        await work();
    }, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

    public async Task Stop()
    {
        await table.Stop(grain.GetGrainId(), name);
        _watching = false;
    }
}
