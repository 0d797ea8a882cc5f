-- Oms.Orleans' own order search read model (not an Orleans provider table). Idempotent.
-- A projection of the event feed, never the truth: the order grains decide, and a reset rebuilds it from the feed.

-- One row per order, as OrderSearch.Project makes it. created_ticks holds the exact UtcTicks, because ordering and
-- cursors must be exact to the tick and timestamptz keeps only microseconds; created_at is for people reading the
-- table. order_id sorts as "C" (bytes), the ordinal order OrderSearch.Compare uses, whatever the database's locale.
-- Statuses and channels are the camelCase names the API writes, so the table reads as the API does.
CREATE TABLE IF NOT EXISTS oms_order_index
(
    order_id        text COLLATE "C" NOT NULL PRIMARY KEY,
    created_ticks   bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    status          text        NOT NULL,
    channel         text        NOT NULL,
    customer_id     text        NOT NULL,
    email           text        NULL,
    -- lower(email), so an email is found whatever its case through a plain b-tree.
    email_lower     text        NULL,
    name            text        NULL,
    -- Every location the order touches: its fulfilments', the pickup boutique, the boutique it was placed in.
    location_ids    text[]      NOT NULL,
    -- Why the order needs attention, null when it does not.
    needs_attention text        NULL,
    total           numeric     NOT NULL,
    currency        text        NOT NULL,
    units           integer     NOT NULL,
    -- The feed position the row was last projected from: an upsert with an older one leaves the row as it is.
    position        bigint      NOT NULL
);

-- Every search answers newest first and pages by (created_ticks, order_id), so each filter's index ends in those
-- two columns: the index hands rows over already in order and a page stops after limit + 1 of them.
CREATE INDEX IF NOT EXISTS ix_oms_order_index_created ON oms_order_index (created_ticks DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS ix_oms_order_index_email ON oms_order_index (email_lower, created_ticks DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS ix_oms_order_index_customer ON oms_order_index (customer_id, created_ticks DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS ix_oms_order_index_status ON oms_order_index (status, created_ticks DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS ix_oms_order_index_channel ON oms_order_index (channel, created_ticks DESC, order_id DESC);

-- A boutique's orders: an array overlap (a store key's boutiques) or containment (one location filter).
CREATE INDEX IF NOT EXISTS ix_oms_order_index_locations ON oms_order_index USING gin (location_ids);

-- The attention queue: few orders need attention, so a partial index keeps it small; read backwards, oldest first.
CREATE INDEX IF NOT EXISTS ix_oms_order_index_attention ON oms_order_index (created_ticks DESC, order_id DESC)
    WHERE needs_attention IS NOT NULL;

-- Name and free-text searches (contains, any case) have no index: pg_trgm is an extension a database may not
-- allow, so they walk ix_oms_order_index_created newest first and stop once a page is full.

-- The feed position every row reflects, moved in the transaction that writes the rows. A single row.
CREATE TABLE IF NOT EXISTS oms_order_index_checkpoint
(
    id         boolean     NOT NULL PRIMARY KEY DEFAULT true CHECK (id),
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);
