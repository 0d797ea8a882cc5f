-- Oms.Orleans' own script for the Orleans ADO.NET provider contract (shared OrleansQuery catalog); idempotent.

-- The providers load their SQL from here at startup, so query text changes ship by re-running a script.
-- Lower-case names are fine: Npgsql's GetOrdinal falls back to case-insensitive, so QueryKey/QueryText resolve.
CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) NOT NULL,
    querytext text        NOT NULL,
    CONSTRAINT pk_orleansquery PRIMARY KEY (querykey)
);
