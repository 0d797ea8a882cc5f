using Oms.Contracts.Events;
using Oms.Contracts.Promise;
using Oms.Grains.Events;

namespace Oms.Grains.Promise;

/// <summary>
/// The promise metrics, projected from the event feed rather than told by each fulfilment: the feed already holds
/// every delivery exactly once and in order, so catching up from a stored cursor neither loses nor repeats one,
/// whatever crashed in between.
/// </summary>
public sealed class PromiseMetricsGrain(
    [PersistentState("promiseMetrics", OmsStorage.Name)] IPersistentState<PromiseScorecard> state)
    : Grain, IPromiseMetricsGrain
{
    private static readonly IReadOnlyList<string> Delivered = [EventTypes.FulfilmentDelivered];

    /// <summary>Pages a single question may fold before it answers with what it has; the next one continues.</summary>
    private const int MaxPagesPerQuery = 20;

    public async Task<PromiseMetrics> Query(DateOnly from, DateOnly to)
    {
        var feed = GrainFactory.GetGrain<IEventFeedGrain>(0);
        var before = state.State.Cursor;
        for (var page = 0; page < MaxPagesPerQuery; page++)
        {
            var read = await feed.Read(state.State.Cursor, EventFeedGrain.MaxPage, Delivered);
            foreach (var e in read.Events)
            {
                state.State.Fold(e.Position, e.Body);
            }

            state.State.Cursor = Math.Max(state.State.Cursor, read.Next);
            if (read.Events.Count < EventFeedGrain.MaxPage)
            {
                break;
            }
        }

        if (state.State.Cursor != before)
        {
            await state.WriteStateAsync();
        }

        return state.State.Query(from, to);
    }
}
