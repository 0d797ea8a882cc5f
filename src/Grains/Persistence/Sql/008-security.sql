-- Who caused each stock movement: the credential of the request (key:<id>, or a JWT subject); null is the
-- system itself (hold expiry, checkout recovery). Idempotent.
ALTER TABLE oms_stock_ledger ADD COLUMN IF NOT EXISTS actor text NULL;

-- The audit trail of every request that changed state, or tried to. Append-only: the application only ever
-- inserts, and the trigger refuses UPDATE and DELETE, so a compromised API credential cannot rewrite it.
CREATE TABLE IF NOT EXISTS oms_audit
(
    audit_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The API node's id for the entry: a batch retried after a timeout that had in fact committed adds nothing.
    entry_id    uuid        NOT NULL UNIQUE,
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,
    actor_name  text        NULL,
    role        text        NULL,
    method      text        NOT NULL,
    route       text        NOT NULL,
    path        text        NOT NULL,
    resource_ids jsonb      NOT NULL,
    status      integer     NOT NULL,
    request_id  text        NOT NULL,
    remote_addr text        NULL
);

CREATE INDEX IF NOT EXISTS ix_oms_audit_actor ON oms_audit (actor, audit_id);

CREATE OR REPLACE FUNCTION oms_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'oms_audit is append-only';
END
$$;

DROP TRIGGER IF EXISTS tr_oms_audit_append_only ON oms_audit;
CREATE TRIGGER tr_oms_audit_append_only BEFORE UPDATE OR DELETE ON oms_audit
    FOR EACH ROW EXECUTE FUNCTION oms_audit_append_only();

-- TRUNCATE fires no row trigger, so without this one it would empty the log in one statement.
DROP TRIGGER IF EXISTS tr_oms_audit_no_truncate ON oms_audit;
CREATE TRIGGER tr_oms_audit_no_truncate BEFORE TRUNCATE ON oms_audit
    FOR EACH STATEMENT EXECUTE FUNCTION oms_audit_append_only();
