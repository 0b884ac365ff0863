-- Compact history (PostgreSQL). See docs/schema.md.
-- Samples arrive as slim recent rows (what an ack waits for) and are
-- sealed, per agent instance, into chunks of columns (bytea). Chunks and
-- the rollup tables are partitioned by time (native declarative
-- partitioning), so retention drops whole partitions. The hub creates
-- partitions as it needs them; this migration creates those the rollups
-- already held. The wide `samples` table of version 1 is read beside the
-- chunks until retention empties it.

-- Agent instances, by an integer key the other tables use.
CREATE TABLE IF NOT EXISTS instances (
    key BIGSERIAL PRIMARY KEY,
    machine_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    -- Logical CPUs the instance reported (for load1_per_core).
    cpu_cores INTEGER NOT NULL DEFAULT 0,
    UNIQUE (machine_id, instance_id)
);

-- One row per sample not sealed yet: the sample as protobuf (sysmonstm.v1.Sample).
CREATE TABLE IF NOT EXISTS samples_recent (
    instance BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    sample BYTEA NOT NULL,
    PRIMARY KEY (instance, seq)
);
CREATE INDEX IF NOT EXISTS samples_recent_ts ON samples_recent (instance, ts);
-- Sealing deletes these rows as fast as they arrive: vacuum after 5 % of
-- the table is dead (the default 20 % lets it bloat by a fifth).
ALTER TABLE samples_recent SET (autovacuum_vacuum_scale_factor = 0.05);

-- Sealed chunks: a run of one instance's samples, columns encoded together
-- (zstd inside, so PostgreSQL is told not to compress them again).
CREATE TABLE IF NOT EXISTS chunks (
    instance BIGINT NOT NULL,
    seq_first BIGINT NOT NULL,
    seq_last BIGINT NOT NULL,
    ts_first TIMESTAMPTZ NOT NULL,
    ts_last TIMESTAMPTZ NOT NULL,
    samples INTEGER NOT NULL,
    body BYTEA NOT NULL
) PARTITION BY RANGE (ts_last);
ALTER TABLE chunks ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE INDEX IF NOT EXISTS chunks_instance_ts ON chunks (instance, ts_last);
CREATE INDEX IF NOT EXISTS chunks_instance_seq ON chunks (instance, seq_last);
CREATE INDEX IF NOT EXISTS chunks_ts ON chunks (ts_last);

-- The rollups become partitioned tables with the same names and columns
-- (plain tables of 0002_plain.sql, or the continuous aggregates of
-- 0002_timescale.sql materialised): the hub merges sealed samples into them.
DO $$
DECLARE
    t TEXT;
    width BIGINT;
    kind CHAR;
    start TIMESTAMPTZ;
BEGIN
    FOREACH t IN ARRAY ARRAY['samples_1m', 'samples_1h'] LOOP
        SELECT c.relkind INTO kind FROM pg_class c
            WHERE c.relname = t AND c.relnamespace = current_schema()::regnamespace;
        IF kind = 'p' THEN
            CONTINUE;
        END IF;
        EXECUTE format('CREATE TABLE %I AS SELECT * FROM %I', t || '_v1', t);
        IF kind = 'r' THEN
            EXECUTE format('DROP TABLE %I', t);
        ELSE
            EXECUTE format('DROP MATERIALIZED VIEW %I CASCADE', t);
        END IF;
        EXECUTE format('CREATE TABLE %I (LIKE %I) PARTITION BY RANGE (ts)', t, t || '_v1');
        EXECUTE format('ALTER TABLE %I ALTER COLUMN machine_id SET NOT NULL, ALTER COLUMN ts SET NOT NULL,
                            ALTER COLUMN samples SET NOT NULL, ADD PRIMARY KEY (machine_id, ts)', t);
        EXECUTE format('CREATE INDEX %I ON %I (ts)', t || '_ts', t);
        -- The same partitions as the hub's (hub/src/store/partition.rs):
        -- a week of minutes, four weeks of hours, aligned to the epoch.
        width := CASE t WHEN 'samples_1m' THEN 7 * 86400 ELSE 28 * 86400 END;
        FOR start IN EXECUTE format(
            'SELECT DISTINCT to_timestamp(floor(extract(epoch FROM ts) / %s) * %s) FROM %I', width, width, t || '_v1')
        LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                t || '_' || to_char(start AT TIME ZONE 'UTC', 'YYYYMMDD'), t, start,
                start + make_interval(secs => width));
        END LOOP;
        EXECUTE format('INSERT INTO %I SELECT * FROM %I', t, t || '_v1');
        EXECUTE format('DROP TABLE %I', t || '_v1');
    END LOOP;
END
$$;
