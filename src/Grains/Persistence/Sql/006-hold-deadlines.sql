-- Oms.Orleans' own hold-expiry index (not an Orleans provider table). Idempotent.

-- The earliest open hold's expiry of each stock item that has one. Each item writes its own row in the
-- same round trip as its ledger append, and every silo sweeps the rows that fell due: so a hold's units
-- come back on time even when the silo that held its item died, without waiting for a reminder period.
-- It is an index of the ledger, never the truth: a missing or stale row only delays the sweep.
CREATE TABLE IF NOT EXISTS oms_hold_deadline
(
    stock_key text        NOT NULL PRIMARY KEY,
    due       timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_oms_hold_deadline_due ON oms_hold_deadline (due);
