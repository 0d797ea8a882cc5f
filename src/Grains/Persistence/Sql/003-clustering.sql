-- Oms.Orleans' own script for the Orleans ADO.NET clustering (membership) provider contract (Microsoft.Orleans.Clustering.AdoNet 10.4.2); idempotent.

-- One row per cluster (DeploymentId = ClusterOptions.ClusterId). Its version is the membership table's ETag:
-- every membership insert/update must bump it atomically with the row change, which serializes membership writers.
CREATE TABLE IF NOT EXISTS orleansmembershipversiontable
(
    deploymentid text        NOT NULL,
    timestamp    timestamptz NOT NULL DEFAULT now(),
    version      integer     NOT NULL DEFAULT 0,
    CONSTRAINT pk_orleansmembershipversiontable PRIMARY KEY (deploymentid)
);

CREATE TABLE IF NOT EXISTS orleansmembershiptable
(
    deploymentid text        NOT NULL,
    address      text        NOT NULL,
    port         integer     NOT NULL,
    generation   integer     NOT NULL,
    siloname     text        NOT NULL,
    hostname     text        NOT NULL,
    status       integer     NOT NULL,
    -- NOT NULL: the provider reads ProxyPort with Convert.ToInt32, which throws on DBNull; silos without a gateway send 0.
    proxyport    integer     NOT NULL DEFAULT 0,
    suspecttimes text        NULL,
    -- timestamptz: Npgsql sends the provider's DateTime parameters (DbType.DateTime, Kind=Utc) as timestamptz.
    starttime    timestamptz NOT NULL,
    iamalivetime timestamptz NOT NULL,
    CONSTRAINT pk_orleansmembershiptable PRIMARY KEY (deploymentid, address, port, generation),
    -- Cascade lets DeleteMembershipTableEntriesKey drop a whole cluster with one statement.
    CONSTRAINT fk_orleansmembershiptable_version FOREIGN KEY (deploymentid)
        REFERENCES orleansmembershipversiontable (deploymentid) ON DELETE CASCADE
);

-- Returns one boolean, as the provider requires (single column, Convert.ToBoolean).
-- The version bump and the row insert must both happen or neither: if the silo row already exists the
-- exception handler rolls back the bump (the block runs as a subtransaction).
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deploymentid text,
    p_address      text,
    p_port         integer,
    p_generation   integer,
    p_siloname     text,
    p_hostname     text,
    p_status       integer,
    p_proxyport    integer,
    p_starttime    timestamptz,
    p_iamalivetime timestamptz,
    p_version      integer)
    RETURNS boolean
    LANGUAGE plpgsql
AS $fn$
BEGIN
    UPDATE orleansmembershipversiontable
    SET version = version + 1,
        timestamp = now()
    WHERE deploymentid = p_deploymentid
      AND version = p_version;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO orleansmembershiptable
        (deploymentid, address, port, generation, siloname, hostname, status, proxyport, starttime, iamalivetime)
    VALUES
        (p_deploymentid, p_address, p_port, p_generation, p_siloname, p_hostname, p_status, p_proxyport, p_starttime, p_iamalivetime)
    ON CONFLICT (deploymentid, address, port, generation) DO NOTHING;
    IF NOT FOUND THEN
        RAISE SQLSTATE 'OMS01';
    END IF;

    RETURN true;
EXCEPTION
    WHEN SQLSTATE 'OMS01' THEN
        RETURN false;
END
$fn$;

-- Same all-or-nothing rule as the insert. IAmAliveTime never moves backwards: the entry being written may
-- carry an older heartbeat than the one the silo itself has stored since it was read.
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deploymentid text,
    p_address      text,
    p_port         integer,
    p_generation   integer,
    p_status       integer,
    p_suspecttimes text,
    p_iamalivetime timestamptz,
    p_version      integer)
    RETURNS boolean
    LANGUAGE plpgsql
AS $fn$
BEGIN
    UPDATE orleansmembershipversiontable
    SET version = version + 1,
        timestamp = now()
    WHERE deploymentid = p_deploymentid
      AND version = p_version;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleansmembershiptable
    SET status       = p_status,
        suspecttimes = p_suspecttimes,
        iamalivetime = GREATEST(iamalivetime, p_iamalivetime)
    WHERE deploymentid = p_deploymentid
      AND address = p_address
      AND port = p_port
      AND generation = p_generation;
    IF NOT FOUND THEN
        RAISE SQLSTATE 'OMS01';
    END IF;

    RETURN true;
EXCEPTION
    WHEN SQLSTATE 'OMS01' THEN
        RETURN false;
END
$fn$;

-- Parameter names are the ones the 10.4.2 provider binds (Address/Port/Generation come from the SiloAddress,
-- @Version is the table ETag that was read, not the next version). Result column names are the ones it reads.
INSERT INTO orleansquery (querykey, querytext)
VALUES
(
    -- Must return exactly one row: true only for the caller that created the version row.
    'InsertMembershipVersionKey', $q$
    WITH inserted AS (
        INSERT INTO orleansmembershipversiontable (deploymentid)
        VALUES (@DeploymentId)
        ON CONFLICT (deploymentid) DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM inserted);
$q$
),
(
    'InsertMembershipKey', $q$
    SELECT orleans_membership_insert(
        @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
        @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version);
$q$
),
(
    'UpdateMembershipKey', $q$
    SELECT orleans_membership_update(
        @DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes, @IAmAliveTime, @Version);
$q$
),
(
    -- Heartbeats deliberately do not bump the table version, so they never invalidate a concurrent membership write.
    'UpdateIAmAlivetimeKey', $q$
    UPDATE orleansmembershiptable
    SET iamalivetime = GREATEST(iamalivetime, @IAmAliveTime)
    WHERE deploymentid = @DeploymentId
      AND address = @Address
      AND port = @Port
      AND generation = @Generation;
$q$
),
(
    -- Outer join from the version row: the provider reads the table version from the first row and needs
    -- that row even when the silo has no entry (StartTime NULL means "no entry").
    'MembershipReadRowKey', $q$
    SELECT v.deploymentid, m.address, m.port, m.generation, m.siloname, m.hostname, m.status, m.proxyport,
           m.suspecttimes, m.starttime, m.iamalivetime, v.version
    FROM orleansmembershipversiontable v
    LEFT JOIN orleansmembershiptable m
           ON m.deploymentid = v.deploymentid
          AND m.address = @Address
          AND m.port = @Port
          AND m.generation = @Generation
    WHERE v.deploymentid = @DeploymentId;
$q$
),
(
    'MembershipReadAllKey', $q$
    SELECT v.deploymentid, m.address, m.port, m.generation, m.siloname, m.hostname, m.status, m.proxyport,
           m.suspecttimes, m.starttime, m.iamalivetime, v.version
    FROM orleansmembershipversiontable v
    LEFT JOIN orleansmembershiptable m
           ON m.deploymentid = v.deploymentid
    WHERE v.deploymentid = @DeploymentId;
$q$
),
(
    -- @Status is SiloStatus.Active (3); ProxyPort 0 means the silo is not a gateway.
    'GatewaysQueryKey', $q$
    SELECT address, proxyport, generation
    FROM orleansmembershiptable
    WHERE deploymentid = @DeploymentId
      AND status = @Status
      AND proxyport > 0;
$q$
),
(
    'DeleteMembershipTableEntriesKey', $q$
    DELETE FROM orleansmembershipversiontable
    WHERE deploymentid = @DeploymentId;
$q$
),
(
    -- Required key, but 10.4.2 only falls back to it when CleanupDefunctSiloEntryKey is absent.
    -- Only Dead (6) silos older than the cutoff; rows still carrying suspicion votes are left alone
    -- because vote times cannot be compared reliably in SQL.
    'CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM orleansmembershiptable
    WHERE deploymentid = @DeploymentId
      AND status = 6
      AND iamalivetime < @IAmAliveTime
      AND starttime < @IAmAliveTime
      AND COALESCE(suspecttimes, '') = '';
$q$
),
(
    -- Optional key that 10.4.2 prefers: it picks the defunct Dead rows itself and deletes each one only if the
    -- row still holds exactly the values it read, so a row changed in the meantime survives. No version bump,
    -- as removing a Dead silo does not change the membership view.
    'CleanupDefunctSiloEntryKey', $q$
    DELETE FROM orleansmembershiptable
    WHERE deploymentid = @DeploymentId
      AND address = @Address
      AND port = @Port
      AND generation = @Generation
      AND status = 6
      AND starttime = @StartTime
      AND iamalivetime = @IAmAliveTime
      AND COALESCE(suspecttimes, '') = COALESCE(@SuspectTimes, '');
$q$
)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
