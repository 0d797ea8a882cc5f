using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Oms.Contracts.Events;
using Oms.Contracts.Webhooks;
using Oms.Grains.Events;
using StandardWebhooks;

namespace Oms.Grains.Webhooks;

[GenerateSerializer, Alias("oms.WebhookState")]
public sealed class WebhookState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string Url { get; set; } = "";
    [Id(2)] public List<string> Events { get; set; } = [];
    [Id(3)] public string? Description { get; set; }
    [Id(4)] public WebhookStatus Status { get; set; }
    [Id(5)] public DateTimeOffset CreatedAt { get; set; }
    [Id(6)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(7)] public string? DisabledReason { get; set; }

    /// <summary>The signing secret. It has to be kept as it is (an HMAC key cannot be hashed); it leaves the grain
    /// only to sign, never in an answer.</summary>
    [Id(8)] public string Secret { get; set; } = "";
    [Id(9)] public string? PreviousSecret { get; set; }
    [Id(10)] public DateTimeOffset? PreviousValidUntil { get; set; }
    [Id(11)] public DateTimeOffset? RotatedAt { get; set; }
    [Id(12)] public long StartPosition { get; set; }
}

/// <summary>
/// One subscription. Requests (create, patch, rotate, the delivery log) are serialised as usual; the pump runs
/// beside them on the same activation, so everything in memory is touched by one thread at a time. The pump reads
/// the feed past the subscription's cursor, queues each matching event as a delivery (cursor and rows in one
/// atomic store call), and sends the heads of its subjects' queues (<see cref="SubjectQueues"/>), at most
/// <see cref="WebhookOptions.MaxInFlight"/> at once. Outcomes are written in batches: a crash may re-send an
/// attempt whose outcome was not yet written (at least once; receivers dedupe by webhook-id), never skip one.
/// </summary>
public sealed class WebhookGrain(
    [PersistentState("webhook", OmsStorage.Name)] IPersistentState<WebhookState> state,
    IWebhookStore store,
    IEventStore feed,
    WebhookSender sender,
    RetrySchedule schedule,
    IOptions<WebhookOptions> options,
    TimeProvider clock,
    Diagnostics.OmsMeters meters,
    ILogger<WebhookGrain> logger) : Grain, IWebhookGrain
{
    /// <summary>The longest the pump sleeps without looking at the feed, the clock and its own queues.</summary>
    private static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(5);
    private const int FeedPage = 500;

    private readonly SubjectQueues _queues = new();
    private readonly List<DeliveryUpdate> _unwritten = [];
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly Random _jitter = new();
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _stop;
    private Task? _pump;
    private Task? _feedWait;
    private bool _loaded;

    /// <summary>Pending deliveries may be in the store and not in memory (more than <see cref="WebhookOptions.MaxQueued"/>
    /// at activation, or a replay beyond it): they are read in, oldest first, above <see cref="_scannedThrough"/>.</summary>
    private bool _moreInStore;
    private long _scannedThrough;
    private long _cursor;
    private long _durableCursor;
    private DateTimeOffset _cursorSavedAt;
    private IReadOnlySet<string>? _types;
    private StandardWebhook? _signer;
    private StandardWebhook? _previousSigner;
    private bool _failing;

    private WebhookState S => state.State;

    private string Id => this.GetPrimaryKeyString();

    private WebhookOptions Options => options.Value;

    public async Task<WebhookResult> Create(WebhookCreate request)
    {
        if (S.Exists)
        {
            return new(WebhookOutcome.Exists, View());
        }

        if (!await GrainFactory.GetGrain<IWebhookDirectoryGrain>(IWebhookDirectoryGrain.Key).Register(Id, WebhookLimits.MaxSubscriptions))
        {
            return new(WebhookOutcome.LimitReached, null);
        }

        try
        {
            // From the feed's head now: a subscription receives what happens after it was made; replay covers the past.
            var head = await feed.Head();
            await store.Start(Id, head);
            await Write(s =>
            {
                s.Exists = true;
                s.Url = request.Url;
                s.Events = [.. request.Events];
                s.Description = request.Description;
                s.Status = WebhookStatus.Enabled;
                s.CreatedAt = s.UpdatedAt = request.Now;
                s.Secret = request.Secret;
                s.StartPosition = head;
            });
        }
        catch
        {
            // Not created: give its place in the directory back, so a failed attempt does not use one of the 100 slots.
            await GrainFactory.GetGrain<IWebhookDirectoryGrain>(IWebhookDirectoryGrain.Key).Remove(Id).ContinueWith(_ => { }, TaskScheduler.Current);
            throw;
        }
        EnsurePump();
        return new(WebhookOutcome.Done, View());
    }

    public Task<WebhookView?> Get() => Task.FromResult(S.Exists ? View() : null);

    public async Task<WebhookResult> Update(WebhookPatch patch)
    {
        if (!S.Exists)
        {
            return new(WebhookOutcome.NotFound, null);
        }

        await Write(s =>
        {
            s.Url = patch.Url ?? s.Url;
            s.Events = patch.Events is { } events ? [.. events] : s.Events;
            if (patch.Status is { } status)
            {
                s.Status = status;
                s.DisabledReason = status == WebhookStatus.Enabled ? null : s.DisabledReason;
            }

            s.UpdatedAt = patch.Now;
        });
        _types = null;
        if (S.Status == WebhookStatus.Enabled)
        {
            EnsurePump();
        }

        Poke();
        return new(WebhookOutcome.Done, View());
    }

    public async Task<bool> Delete()
    {
        if (!S.Exists)
        {
            return false;
        }

        await StopPump();
        await store.Drop(Id);
        await _writing.WaitAsync();
        try
        {
            await state.ClearStateAsync();
            state.State = new WebhookState();
        }
        finally
        {
            _writing.Release();
        }

        await GrainFactory.GetGrain<IWebhookDirectoryGrain>(IWebhookDirectoryGrain.Key).Remove(Id);
        DeactivateOnIdle();
        return true;
    }

    public async Task<WebhookResult> RotateSecret(string secret, DateTimeOffset now, DateTimeOffset previousValidUntil)
    {
        if (!S.Exists)
        {
            return new(WebhookOutcome.NotFound, null);
        }

        // One previous secret at a time: a second rotation inside the grace period ends the oldest one now.
        await Write(s =>
        {
            s.PreviousSecret = previousValidUntil > now ? s.Secret : null;
            s.PreviousValidUntil = previousValidUntil > now ? previousValidUntil : null;
            s.Secret = secret;
            s.RotatedAt = now;
            s.UpdatedAt = now;
        });
        _signer = _previousSigner = null;
        return new(WebhookOutcome.Done, View());
    }

    public async Task<DeliveryPage?> Deliveries(DeliveryFilter filter, long? before, int limit)
    {
        if (!S.Exists)
        {
            return null;
        }

        // What the pump knows but has not written yet belongs in the answer.
        await Flush(CancellationToken.None);
        var rows = await store.List(Id, filter, before, limit);
        return new DeliveryPage([.. rows.Select(r => r.View())], rows.Count == limit ? rows[^1].DeliveryId : null);
    }

    public async Task<DeliveryView?> Retry(long deliveryId)
    {
        if (!S.Exists)
        {
            return null;
        }

        // Written first, so a buffered outcome of an earlier attempt cannot overwrite the retry afterwards.
        await Flush(CancellationToken.None);
        var now = clock.GetUtcNow();
        var row = await store.Retry(Id, deliveryId, now);
        if (row is null)
        {
            return null;
        }

        if (_loaded && !_queues.Reschedule(deliveryId, now, 0) && !_queues.Contains(deliveryId))
        {
            _queues.Add(Queued(row));
        }

        EnsurePump();
        Poke();
        return row.View();
    }

    public async Task<ReplayResult?> Replay(long fromPosition)
    {
        if (!S.Exists)
        {
            return null;
        }

        // Only what the cursor has passed: what lies beyond it the pump will send anyway.
        var through = _loaded ? _cursor : await store.Cursor(Id) ?? 0;
        var types = Types();
        var matched = new List<FeedEvent>();
        var after = Math.Max(0, fromPosition - 1);
        long? next = null;
        while (after < through)
        {
            var page = await feed.Read(after, Math.Min(FeedPage, WebhookLimits.MaxReplay - matched.Count + 1), types);
            foreach (var e in page)
            {
                if (e.Position > through)
                {
                    break;
                }

                if (matched.Count == WebhookLimits.MaxReplay)
                {
                    next = e.Position;
                    break;
                }

                matched.Add(e);
            }

            if (next is not null || page.Count == 0 || page[^1].Position >= through)
            {
                break;
            }

            after = page[^1].Position;
        }

        var rows = await store.Requeue(Id, matched, clock.GetUtcNow());
        if (_loaded)
        {
            foreach (var row in rows)
            {
                if (_queues.Count >= Options.MaxQueued)
                {
                    // The rest wait in the store; the pump reads them in as the queue drains.
                    _moreInStore = true;
                    break;
                }

                _queues.Add(Queued(row));
            }
        }

        EnsurePump();
        Poke();
        return new ReplayResult(rows.Count, next);
    }

    public Task Wake()
    {
        EnsurePump();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await StopPump();
        try
        {
            await Flush(cancellationToken);
        }
        catch (Exception ex)
        {
            // Not written: those attempts are sent again by the next activation (at least once).
            logger.LogWarning(ex, "Webhook {WebhookId}: {Count} delivery outcomes not written at deactivation", Id, _unwritten.Count);
        }
    }

    private void EnsurePump()
    {
        if (S.Exists && S.Status == WebhookStatus.Enabled && _pump is not { IsCompleted: false })
        {
            _stop = new CancellationTokenSource();
            _pump = Pump(_stop.Token);
        }
    }

    private async Task StopPump()
    {
        if (_stop is { } stop)
        {
            await stop.CancelAsync();
            Poke();
            if (_pump is { } pump)
            {
                await pump.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Current);
            }
        }
    }

    private void Poke() => _signal.TrySetResult();

    private async Task Pump(CancellationToken cancellationToken)
    {
        // Off the caller's turn: the request that started the pump is answered at once.
        await Task.Yield();
        while (!cancellationToken.IsCancellationRequested && S.Exists && S.Status == WebhookStatus.Enabled)
        {
            var signal = _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                await Load(cancellationToken);
                await Fill(cancellationToken);
                Dispatch(cancellationToken);
                await Flush(cancellationToken);
                _failing = false;

                var now = clock.GetUtcNow();
                var wait = _queues.NextDue() is { } next ? Clamp(next - now) : MaxIdle;
                if (_queues.InFlight >= Options.MaxInFlight)
                {
                    wait = MaxIdle;
                }

                // One long-poll of the feed at a time, kept across turns: a new one per turn would leave thousands
                // waiting (each polling the store) when deliveries complete faster than events arrive.
                if (_queues.Count < Options.MaxQueued && _feedWait is not { IsCompleted: false })
                {
                    _feedWait = feed.WaitBeyond(_cursor, MaxIdle, cancellationToken);
                }

                using var sleep = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var due = Task.Delay(wait, clock, sleep.Token);
                await Task.WhenAny(signal.Task, due, _feedWait ?? due);
                await sleep.CancelAsync();
            }
            catch (WebhookCursorConflictException ex)
            {
                // Another activation moved the cursor (or a write whose answer was lost did): memory is stale.
                logger.LogWarning("{Reason}; reloading", ex.Message);
                _stop?.Cancel();
                DeactivateOnIdle();
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (!_failing)
                {
                    logger.LogWarning(ex, "Webhook {WebhookId}: the pump failed; it retries every second", Id);
                }

                _failing = true;
                await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(1), clock, cancellationToken));
            }
        }

        try
        {
            await Flush(CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Webhook {WebhookId}: outcomes left for the next flush", Id);
        }
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxIdle ? MaxIdle : wait;

    private async Task Load(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        var cursor = await store.Cursor(Id, cancellationToken);
        if (cursor is null)
        {
            await store.Start(Id, S.StartPosition, cancellationToken);
            cursor = S.StartPosition;
        }

        await Scan(cancellationToken);
        _cursor = _durableCursor = cursor.Value;
        _cursorSavedAt = clock.GetUtcNow();
        _loaded = true;
    }

    /// <summary>Reads pending deliveries the store holds and memory does not, while there is room.</summary>
    private async Task Scan(CancellationToken cancellationToken)
    {
        // Outcomes first: a delivery sent but not yet written as such must not come back as pending. The flush lock
        // is held through the read, so no outcome is half-way to the store while it runs; one that arrives during
        // the read is still in _unwritten, and its row (read as pending) is skipped rather than sent again.
        IReadOnlyList<StoredDelivery> rows;
        var limit = Options.MaxQueued - _queues.Count;
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            await WriteUnwritten(cancellationToken);
            rows = await store.Open(Id, _scannedThrough, limit, cancellationToken);
        }
        finally
        {
            _flushing.Release();
        }

        var decided = _unwritten.Select(u => u.DeliveryId).ToHashSet();
        foreach (var row in rows)
        {
            if (!decided.Contains(row.DeliveryId))
            {
                _queues.Add(Queued(row));
            }
        }

        _scannedThrough = rows.Count > 0 ? rows[^1].DeliveryId : _scannedThrough;
        _moreInStore = rows.Count == limit;
    }

    /// <summary>Queues what the feed holds past the cursor, while there is room; stored deliveries go first.</summary>
    private async Task Fill(CancellationToken cancellationToken)
    {
        if (_moreInStore)
        {
            if (_queues.Count < Options.MaxQueued / 2)
            {
                await Scan(cancellationToken);
            }

            if (_moreInStore)
            {
                return;
            }
        }

        while (_queues.Count < Options.MaxQueued && !cancellationToken.IsCancellationRequested)
        {
            // Every position up to the head is visible (appends commit in order), so a short page means the cursor
            // may go to the head even when the events between were of other types.
            var head = await feed.Head(cancellationToken);
            if (head <= _cursor)
            {
                return;
            }

            var limit = Math.Min(FeedPage, Options.MaxQueued - _queues.Count);
            var page = await feed.Read(_cursor, limit, Types(), cancellationToken);
            var next = page.Count == limit ? page[^1].Position : Math.Max(head, page.Count > 0 ? page[^1].Position : 0);
            var now = clock.GetUtcNow();
            // Passing events of other types is remembered lazily: re-reading them after a crash is harmless.
            if (page.Count > 0 || next - _durableCursor >= 10_000 || now - _cursorSavedAt > TimeSpan.FromSeconds(30))
            {
                var rows = await store.Enqueue(Id, _durableCursor, next, page, now, cancellationToken);
                _durableCursor = next;
                _cursorSavedAt = now;
                foreach (var row in rows)
                {
                    _queues.Add(Queued(row));
                }
            }

            _cursor = next;
            if (page.Count < limit)
            {
                return;
            }
        }
    }

    private void Dispatch(CancellationToken cancellationToken)
    {
        var room = Options.MaxInFlight - _queues.InFlight;
        if (room <= 0)
        {
            return;
        }

        foreach (var delivery in _queues.TakeReady(clock.GetUtcNow(), room))
        {
            _ = Send(delivery, cancellationToken);
        }
    }

    private async Task Send(QueuedDelivery delivery, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        SendResult result;
        try
        {
            var id = delivery.EventId.ToString();
            result = await sender.Send(new Uri(S.Url), id, now, WebhookSender.Signatures(Signers(now), id, now, delivery.Body), delivery.Body, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            result = new SendResult(null, null, 0, $"could not send: {ex.GetType().Name}");
        }
        catch (OperationCanceledException)
        {
            // Stopping: the attempt's outcome is unknown, so it counts as not made and is sent again later.
            _queues.Complete(delivery, finished: false, delivery.DueAt);
            return;
        }

        var decision = DeliveryRules.Decide(result, delivery.Failures, schedule, clock.GetUtcNow(), _jitter.NextDouble());
        meters.Attempted(decision.Status switch
        {
            DeliveryStatus.Delivered => Diagnostics.WebhookAttemptOutcome.Delivered,
            DeliveryStatus.DeadLettered => Diagnostics.WebhookAttemptOutcome.DeadLettered,
            _ => Diagnostics.WebhookAttemptOutcome.Retrying,
        }, result.StatusCode);
        delivery.Failures = decision.Failures;
        _queues.Complete(delivery, decision.Status != DeliveryStatus.Pending, decision.NextAttemptAt ?? now);
        _unwritten.Add(new DeliveryUpdate(delivery.DeliveryId, decision.Status, decision.Failures,
            new DeliveryAttempt(now, result.StatusCode, result.DurationMs, result.Error), decision.NextAttemptAt));
        if (decision.Disable && S.Status == WebhookStatus.Enabled)
        {
            logger.LogWarning("Webhook {WebhookId}: the receiver answered 410 Gone; the subscription is disabled", Id);
            await Write(s =>
            {
                s.Status = WebhookStatus.Disabled;
                s.DisabledReason = "The receiver answered 410 Gone.";
                s.UpdatedAt = clock.GetUtcNow();
            });
        }

        Poke();
    }

    private async Task Flush(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            await WriteUnwritten(cancellationToken);
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Only under <see cref="_flushing"/>.</summary>
    private async Task WriteUnwritten(CancellationToken cancellationToken)
    {
        if (_unwritten.Count == 0)
        {
            return;
        }

        var batch = _unwritten.ToList();
        _unwritten.Clear();
        try
        {
            await store.Record(Id, batch, cancellationToken);
        }
        catch
        {
            // Kept, in order, ahead of anything newer, for the next flush.
            _unwritten.InsertRange(0, batch);
            throw;
        }
    }

    private async Task Write(Action<WebhookState> change)
    {
        await _writing.WaitAsync();
        try
        {
            change(S);
            await state.WriteStateAsync();
        }
        catch
        {
            // Memory must not keep a change storage refused.
            await state.ReadStateAsync();
            throw;
        }
        finally
        {
            _writing.Release();
        }
    }

    private IReadOnlySet<string> Types()
    {
        if (_types is null)
        {
            EventTypes.TryExpand(S.Events, out var types);
            _types = types;
        }

        return _types;
    }

    private List<StandardWebhook> Signers(DateTimeOffset now)
    {
        _signer ??= new StandardWebhook(S.Secret);
        if (S.PreviousSecret is { } previous && S.PreviousValidUntil > now)
        {
            _previousSigner ??= new StandardWebhook(previous);
            return [_signer, _previousSigner];
        }

        return [_signer];
    }

    private static QueuedDelivery Queued(StoredDelivery row) => new()
    {
        DeliveryId = row.DeliveryId,
        EventId = row.EventId,
        Type = row.Type,
        Subject = row.Subject,
        Sequence = row.Sequence,
        Position = row.Position,
        Body = row.Body,
        Failures = row.Failures,
        DueAt = row.NextAttemptAt ?? DateTimeOffset.MinValue,
    };

    private WebhookView View() => new(Id, S.Url, S.Events, S.Description, S.Status, S.CreatedAt, S.UpdatedAt, S.DisabledReason,
        S.RotatedAt, S.PreviousValidUntil > clock.GetUtcNow() ? S.PreviousValidUntil : null, S.StartPosition);
}
