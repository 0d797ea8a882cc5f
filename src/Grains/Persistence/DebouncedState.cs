using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Oms.Grains.Persistence;

/// <summary>
/// Persists a derived view at most once per <paramref name="delay"/> instead of on every change. For state
/// whose truth lives elsewhere (the stock items re-send their figures when they activate), so losing the last
/// moment of changes in a crash costs freshness, never correctness.
/// </summary>
public sealed class DebouncedState<T>(IPersistentState<T> state, IGrainBase grain, TimeSpan delay, ILogger logger)
{
    private bool _dirty;
    private IGrainTimer? _timer;

    public T State => state.State;

    public void MarkDirty()
    {
        if (_dirty)
        {
            return;
        }

        _dirty = true;
        _timer ??= grain.RegisterGrainTimer(_ => Flush(), new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan));
        _timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    public Task Flush() => Write(retry: true);

    /// <summary>
    /// On deactivation, so a graceful shutdown loses nothing. A failure here is not retried: the activation has no
    /// later turn to retry in (a timer registered now would belong to a dead activation), and the next activation
    /// is brought up to date by the reports of the items the view derives from.
    /// </summary>
    public Task FlushOnDeactivation() => Write(retry: false);

    private async Task Write(bool retry)
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException ex)
        {
            // Another activation wrote since we loaded: ours is the duplicate, so step aside and let the
            // survivor's state win; the stock items re-report when they next change.
            logger.LogWarning(ex, "{Grain} was written elsewhere; deactivating", grain.GrainContext.GrainId);
            grain.GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "duplicate activation"));
        }
        catch (Exception ex) when (retry)
        {
            // The memory view stays right; only durability lags, so try again rather than drop the changes.
            logger.LogWarning(ex, "Could not persist {Grain}; retrying", grain.GrainContext.GrainId);
            MarkDirty();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not persist {Grain} as it deactivated; its sources re-report to the next activation", grain.GrainContext.GrainId);
        }
    }
}
