-- Oms.Orleans' own script for the Orleans ADO.NET reminders provider contract (Microsoft.Orleans.Reminders.AdoNet 10.4.2); idempotent.

CREATE TABLE IF NOT EXISTS orleansreminderstable
(
    serviceid    text        NOT NULL,
    grainid      text        NOT NULL,
    remindername text        NOT NULL,
    -- timestamptz: Npgsql sends the provider's DateTime (DbType.DateTime, Kind=Utc) as timestamptz.
    starttime    timestamptz NOT NULL,
    -- Milliseconds. bigint because the provider switches to an Int64 parameter for periods beyond int range.
    period       bigint      NOT NULL,
    -- GrainId.GetUniformHashCode() (uint) reinterpreted as a signed int by the provider.
    grainhash    integer     NOT NULL,
    version      integer     NOT NULL,
    CONSTRAINT pk_orleansreminderstable PRIMARY KEY (serviceid, grainid, remindername)
);

-- Each silo periodically reads the reminders of its hash-ring range.
CREATE INDEX IF NOT EXISTS ix_orleansreminderstable_grainhash
    ON orleansreminderstable (serviceid, grainhash);

-- Parameter names are the ones the 10.4.2 provider binds; it reads GrainId, ReminderName, StartTime, Period and
-- Version by name. Ranges are (BeginHash, EndHash]: the provider compares the two hashes as signed ints and sends
-- ReadRangeRows1Key when Begin < End, otherwise the wrapping ReadRangeRows2Key, so the SQL compares signed too.
INSERT INTO orleansquery (querykey, querytext)
VALUES
(
    -- Returns the new Version, which becomes the reminder's ETag.
    'UpsertReminderRowKey', $q$
    INSERT INTO orleansreminderstable AS r
        (serviceid, grainid, remindername, starttime, period, grainhash, version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
    SET starttime = EXCLUDED.starttime,
        period    = EXCLUDED.period,
        grainhash = EXCLUDED.grainhash,
        version   = r.version + 1
    RETURNING r.version;
$q$
),
(
    'ReadReminderRowsKey', $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansreminderstable
    WHERE serviceid = @ServiceId
      AND grainid = @GrainId;
$q$
),
(
    'ReadReminderRowKey', $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansreminderstable
    WHERE serviceid = @ServiceId
      AND grainid = @GrainId
      AND remindername = @ReminderName;
$q$
),
(
    'ReadRangeRows1Key', $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansreminderstable
    WHERE serviceid = @ServiceId
      AND grainhash > @BeginHash
      AND grainhash <= @EndHash;
$q$
),
(
    'ReadRangeRows2Key', $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansreminderstable
    WHERE serviceid = @ServiceId
      AND (grainhash > @BeginHash OR grainhash <= @EndHash);
$q$
),
(
    -- Must return exactly one single-column row: true only if the row existed with the caller's ETag.
    'DeleteReminderRowKey', $q$
    WITH deleted AS (
        DELETE FROM orleansreminderstable
        WHERE serviceid = @ServiceId
          AND grainid = @GrainId
          AND remindername = @ReminderName
          AND version = @Version
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM deleted);
$q$
),
(
    'DeleteReminderRowsKey', $q$
    DELETE FROM orleansreminderstable
    WHERE serviceid = @ServiceId;
$q$
)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
