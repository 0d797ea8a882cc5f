-- Oms.Orleans' own script for the Orleans ADO.NET grain persistence provider contract (Microsoft.Orleans.Persistence.AdoNet 10.4.2); idempotent.

-- One row per (service, grain type, grain id). 10.4.2 only binds/reads PayloadBinary, so there are no JSON/XML payload columns.
CREATE TABLE IF NOT EXISTS orleansstorage
(
    grainidhash            integer     NOT NULL,
    grainidn0              bigint      NOT NULL,
    grainidn1              bigint      NOT NULL,
    graintypehash          integer     NOT NULL,
    graintypestring        text        NOT NULL,
    grainidextensionstring text        NULL,
    serviceid              text        NOT NULL,
    payloadbinary          bytea       NULL,
    modifiedon             timestamptz NOT NULL DEFAULT now(),
    version                integer     NOT NULL,
    -- The hashes lead so this also serves as the lookup index. It is unique so two activations racing on a
    -- first write cannot both insert; NULLS NOT DISTINCT because grains without a key extension pass NULL.
    CONSTRAINT ux_orleansstorage_grain UNIQUE NULLS NOT DISTINCT
        (grainidhash, graintypehash, grainidn0, grainidn1, serviceid, graintypestring, grainidextensionstring)
);

-- Always exactly one row: the provider raises InconsistentStateException when NewGrainStateVersion equals the ETag
-- it sent (or is NULL, read as ""), but would take an empty result as success. So a conflict echoes the caller's version.
CREATE OR REPLACE FUNCTION orleans_storage_write(
    p_grainidhash            integer,
    p_grainidn0              bigint,
    p_grainidn1              bigint,
    p_graintypehash          integer,
    p_graintypestring        text,
    p_grainidextensionstring text,
    p_serviceid              text,
    p_grainstateversion      integer,
    p_payloadbinary          bytea)
    RETURNS TABLE (newgrainstateversion integer)
    LANGUAGE plpgsql
AS $fn$
DECLARE
    v_version integer;
BEGIN
    IF p_grainstateversion IS NULL THEN
        -- No ETag means the grain never saw a row, so only a first insert is legal; a concurrent or earlier
        -- insert by another activation is a conflict, not something to overwrite.
        INSERT INTO orleansstorage
            (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring,
             serviceid, payloadbinary, modifiedon, version)
        VALUES
            (p_grainidhash, p_grainidn0, p_grainidn1, p_graintypehash, p_graintypestring, p_grainidextensionstring,
             p_serviceid, p_payloadbinary, now(), 1)
        ON CONFLICT (grainidhash, graintypehash, grainidn0, grainidn1, serviceid, graintypestring, grainidextensionstring)
            DO NOTHING
        RETURNING version INTO v_version;
    ELSE
        -- The version predicate is the optimistic-concurrency check: a stale ETag matches no row.
        UPDATE orleansstorage
        SET payloadbinary = p_payloadbinary,
            modifiedon    = now(),
            version       = version + 1
        WHERE grainidhash = p_grainidhash
          AND graintypehash = p_graintypehash
          AND grainidn0 = p_grainidn0
          AND grainidn1 = p_grainidn1
          AND serviceid = p_serviceid
          AND graintypestring = p_graintypestring
          AND grainidextensionstring IS NOT DISTINCT FROM p_grainidextensionstring
          AND version = p_grainstateversion
        RETURNING version INTO v_version;
    END IF;

    RETURN QUERY SELECT COALESCE(v_version, p_grainstateversion);
END
$fn$;

-- Clearing keeps the row and bumps the version, so a stale activation's later write still conflicts.
-- Same one-row convention as the write: the provider reads column 0 and treats "unchanged" as a conflict.
CREATE OR REPLACE FUNCTION orleans_storage_clear(
    p_grainidhash            integer,
    p_grainidn0              bigint,
    p_grainidn1              bigint,
    p_graintypehash          integer,
    p_graintypestring        text,
    p_grainidextensionstring text,
    p_serviceid              text,
    p_grainstateversion      integer)
    RETURNS TABLE (newgrainstateversion integer)
    LANGUAGE plpgsql
AS $fn$
DECLARE
    v_version integer;
BEGIN
    UPDATE orleansstorage
    SET payloadbinary = NULL,
        modifiedon    = now(),
        version       = version + 1
    WHERE grainidhash = p_grainidhash
      AND graintypehash = p_graintypehash
      AND grainidn0 = p_grainidn0
      AND grainidn1 = p_grainidn1
      AND serviceid = p_serviceid
      AND graintypestring = p_graintypestring
      AND grainidextensionstring IS NOT DISTINCT FROM p_grainidextensionstring
      AND version = p_grainstateversion
    RETURNING version INTO v_version;

    RETURN QUERY SELECT COALESCE(v_version, p_grainstateversion);
END
$fn$;

-- Used instead of the clear only when AdoNetGrainStorageOptions.DeleteStateOnClear = true.
-- The provider nulls the ETag after a delete but still checks the returned value: it must differ from the ETag
-- sent, hence version + 1 when a row was deleted and the caller's version (a conflict) otherwise.
CREATE OR REPLACE FUNCTION orleans_storage_delete(
    p_grainidhash            integer,
    p_grainidn0              bigint,
    p_grainidn1              bigint,
    p_graintypehash          integer,
    p_graintypestring        text,
    p_grainidextensionstring text,
    p_serviceid              text,
    p_grainstateversion      integer)
    RETURNS TABLE (newgrainstateversion integer)
    LANGUAGE plpgsql
AS $fn$
DECLARE
    v_version integer;
BEGIN
    DELETE FROM orleansstorage
    WHERE grainidhash = p_grainidhash
      AND graintypehash = p_graintypehash
      AND grainidn0 = p_grainidn0
      AND grainidn1 = p_grainidn1
      AND serviceid = p_serviceid
      AND graintypestring = p_graintypestring
      AND grainidextensionstring IS NOT DISTINCT FROM p_grainidextensionstring
      AND version = p_grainstateversion
    RETURNING version INTO v_version;

    RETURN QUERY SELECT CASE WHEN v_version IS NULL THEN p_grainstateversion ELSE v_version + 1 END;
END
$fn$;

-- Parameter names are the ones AdoNetGrainStorage 10.4.2 binds; the reader looks up PayloadBinary and Version by name.
-- ReadFromStorageKey must return at most one row (the provider calls SingleOrDefault); the unique constraint guarantees it.
INSERT INTO orleansquery (querykey, querytext)
VALUES
(
    'WriteToStorageKey', $q$
    SELECT newgrainstateversion
    FROM orleans_storage_write(
        @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
        @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary);
$q$
),
(
    'ReadFromStorageKey', $q$
    SELECT payloadbinary, version
    FROM orleansstorage
    WHERE grainidhash = @GrainIdHash
      AND graintypehash = @GrainTypeHash
      AND grainidn0 = @GrainIdN0
      AND grainidn1 = @GrainIdN1
      AND serviceid = @ServiceId
      AND graintypestring = @GrainTypeString
      AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString;
$q$
),
(
    'ClearStorageKey', $q$
    SELECT newgrainstateversion
    FROM orleans_storage_clear(
        @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
        @GrainIdExtensionString, @ServiceId, @GrainStateVersion);
$q$
),
(
    'DeleteStorageKey', $q$
    SELECT newgrainstateversion
    FROM orleans_storage_delete(
        @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
        @GrainIdExtensionString, @ServiceId, @GrainStateVersion);
$q$
)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
