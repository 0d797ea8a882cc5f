-- Oms.Orleans' own watch table (not an Orleans provider table). Idempotent.

-- One row per grain that may have work to finish after a crash (an order's checkout intent, events not yet in the
-- feed, a fulfilment's deadlines, a return's refund, a SKU's availability event): when its next look is due and how
-- often it repeats. Every silo's sweep claims the rows that fell due and delivers the tick to the grain, wherever it
-- now lives. These rows replace one reminder per order, fulfilment, return and availability change: they are
-- written in group commits from every grain of a silo, where a reminder was a row write of its own through the
-- reminder service, which also refuses writes on a fresh silo until it has loaded its range.
CREATE TABLE IF NOT EXISTS oms_watch
(
    service_id text        NOT NULL,
    -- GrainId.ToString(), the form orleansreminderstable keeps, so reminders move over unchanged.
    grain_id   text        NOT NULL,
    name       text        NOT NULL,
    due        timestamptz NOT NULL,
    period_ms  bigint      NOT NULL CHECK (period_ms > 0),
    CONSTRAINT pk_oms_watch PRIMARY KEY (service_id, grain_id, name)
);

CREATE INDEX IF NOT EXISTS ix_oms_watch_due ON oms_watch (service_id, due);

-- A database written by a version that watched with reminders: those reminders become rows, due at their start
-- (at once when it has passed), and leave the reminder table, so nothing is watched twice and nothing is dropped.
INSERT INTO oms_watch (service_id, grain_id, name, due, period_ms)
SELECT serviceid, grainid, remindername, starttime, period
FROM orleansreminderstable
WHERE remindername IN ('order-recovery', 'fulfilment-watch', 'returns-watch', 'availability-outbox') AND period > 0
ON CONFLICT DO NOTHING;

DELETE FROM orleansreminderstable WHERE remindername IN ('order-recovery', 'fulfilment-watch', 'returns-watch', 'availability-outbox');
