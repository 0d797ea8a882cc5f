-- Oms.Orleans' own webhook delivery state (not an Orleans provider table). Idempotent.
-- A subscription's settings and secret are grain state; what it has passed in the global feed and what it still
-- owes its receiver are here, so that moving the cursor and queueing deliveries are one transaction.

-- Per subscription: the position of the last feed event it has passed, and the next delivery id to hand out.
-- The pump moves it with a compare-and-set on position, so two activations of one subscription (briefly possible
-- while a dead silo is being declared dead) cannot both queue the same events.
CREATE TABLE IF NOT EXISTS oms_webhook_cursor
(
    webhook_id    text        NOT NULL PRIMARY KEY,
    position      bigint      NOT NULL,
    next_delivery bigint      NOT NULL DEFAULT 1,
    updated_at    timestamptz NOT NULL
);

-- One row per event owed to (or sent to) a subscription. The body is the CloudEvent exactly as the feed gave it,
-- so a retry a day later sends the same bytes even if the feed was pruned meanwhile. A replay adds new rows.
CREATE TABLE IF NOT EXISTS oms_webhook_delivery
(
    webhook_id      text        NOT NULL,
    delivery_id     bigint      NOT NULL,
    event_id        uuid        NOT NULL,
    position        bigint      NOT NULL,
    type            text        NOT NULL,
    subject         text        NOT NULL,
    sequence        bigint      NOT NULL,
    body            text        NOT NULL,
    -- pending | delivered | deadLettered
    status          text        NOT NULL,
    -- Failed attempts since it was last queued: its place in the retry schedule.
    failures        integer     NOT NULL DEFAULT 0,
    -- [{at, statusCode, durationMs, error}], the newest last, at most 50.
    attempts        jsonb       NOT NULL DEFAULT '[]'::jsonb,
    next_attempt_at timestamptz NULL,
    created_at      timestamptz NOT NULL,
    CONSTRAINT pk_oms_webhook_delivery PRIMARY KEY (webhook_id, delivery_id)
);

-- What an activation reloads: the subscription's open deliveries.
CREATE INDEX IF NOT EXISTS ix_oms_webhook_delivery_pending ON oms_webhook_delivery (webhook_id, delivery_id) WHERE status = 'pending';

-- Pruning finished deliveries by age.
CREATE INDEX IF NOT EXISTS ix_oms_webhook_delivery_finished ON oms_webhook_delivery (created_at) WHERE status <> 'pending';
