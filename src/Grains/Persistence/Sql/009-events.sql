-- Oms.Orleans' own event feed and stock outbox (not Orleans provider tables). Idempotent.

-- The global feed. Positions are given under one advisory lock held to commit, so they become visible in
-- order: a reader that pages with "position > after" never skips an event that committed late.
-- body is the CloudEvent exactly as delivered (signatures are computed over these bytes).
CREATE TABLE IF NOT EXISTS oms_events
(
    position  bigint      NOT NULL PRIMARY KEY,
    event_id  uuid        NOT NULL UNIQUE,
    type      text        NOT NULL,
    subject   text        NOT NULL,
    sequence  bigint      NOT NULL,
    time      timestamptz NOT NULL,
    body      text        NOT NULL,
    -- A subject's sequence is given by its one writer; a second event at the same number would be invented.
    CONSTRAINT uq_oms_events_subject UNIQUE (subject, sequence)
);

CREATE INDEX IF NOT EXISTS ix_oms_events_type ON oms_events (type, position);
CREATE INDEX IF NOT EXISTS ix_oms_events_time ON oms_events (time);

-- Stock events, written in the same statement batch (one transaction) as the ledger append that caused them,
-- and removed in the transaction that puts them in the feed. A row older than a few seconds was stranded by
-- a silo that died in between; every silo's relay moves such rows.
CREATE TABLE IF NOT EXISTS oms_outbox
(
    event_id   uuid        NOT NULL PRIMARY KEY,
    type       text        NOT NULL,
    subject    text        NOT NULL,
    sequence   bigint      NOT NULL,
    time       timestamptz NOT NULL,
    data       text        NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS ix_oms_outbox_written ON oms_outbox (written_at);

-- What each stock item last told the world (in stock, low, out of stock) and its last event sequence, written
-- with the append that emits, so a reactivated item neither repeats nor skips a crossing.
CREATE TABLE IF NOT EXISTS oms_stock_signal
(
    stock_key text   NOT NULL PRIMARY KEY,
    sequence  bigint NOT NULL,
    signal    text   NOT NULL
);
