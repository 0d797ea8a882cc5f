-- Oms.Orleans' own reservation-expiry index (not an Orleans provider table). Idempotent.

-- The expiry of each one-line reservation, written beside its state (in batches: a flash sale writes thousands a
-- second) so that every silo's sweep announces reservation.expired on time even when the reservation's silo died.
-- An index, never the truth: the reservation grain decides, and a row whose reservation was used or released only
-- costs the sweep one call.
CREATE TABLE IF NOT EXISTS oms_reservation_deadline
(
    reservation_id text        NOT NULL PRIMARY KEY,
    due            timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_oms_reservation_deadline_due ON oms_reservation_deadline (due);
