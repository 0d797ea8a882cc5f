-- Oms.Orleans' own append-only stock ledger (not an Orleans provider table). Idempotent.

-- One row per movement of a SKU at a location. The primary key is also the concurrency check: a writer
-- appends at the sequence after the last it knows, so a second writer with a stale view collides instead
-- of forking the ledger. Rows are never updated or deleted.
CREATE TABLE IF NOT EXISTS oms_stock_ledger
(
    stock_key     text        NOT NULL,
    seq           bigint      NOT NULL,
    -- The first seq of the append that wrote it: movements sharing a batch were committed together.
    batch         bigint      NOT NULL,
    kind          text        NOT NULL,
    quantity      integer     NOT NULL,
    reference     text        NOT NULL,
    at            timestamptz NOT NULL,
    expires_at    timestamptz NULL,
    safety_stock  integer     NULL,
    feed_sequence bigint      NULL,
    CONSTRAINT pk_oms_stock_ledger PRIMARY KEY (stock_key, seq)
);

-- Finding what a reservation, order or feed did across items, for support and audits.
CREATE INDEX IF NOT EXISTS ix_oms_stock_ledger_reference ON oms_stock_ledger (reference);

-- The newest snapshot of each position, so an activation replays only the movements after it.
CREATE TABLE IF NOT EXISTS oms_stock_snapshot
(
    stock_key text        NOT NULL PRIMARY KEY,
    seq       bigint      NOT NULL,
    position  jsonb       NOT NULL,
    taken_at  timestamptz NOT NULL
);
