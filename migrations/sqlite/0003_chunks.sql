-- Compact history (SQLite). See docs/schema.md.
-- Samples arrive as slim recent rows (what an ack waits for) and are
-- sealed, per agent instance, into chunks of columns. The wide `samples`
-- table of version 1 is read until the hub has converted its rows.

-- Agent instances, by an integer key the other tables use.
CREATE TABLE IF NOT EXISTS instances (
    key INTEGER PRIMARY KEY,
    machine_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    -- Logical CPUs the instance reported (for load1_per_core).
    cpu_cores INTEGER NOT NULL DEFAULT 0,
    UNIQUE (machine_id, instance_id)
);

-- One row per sample not sealed yet: the sample as protobuf (sysmonstm.v1.Sample).
-- Rows are appended in rowid order (a batch fills pages one after another);
-- the key is a slim index beside them.
CREATE TABLE IF NOT EXISTS samples_recent (
    instance INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    sample BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS samples_recent_key ON samples_recent (instance, seq);

-- Sealed chunks: a run of one instance's samples, columns encoded together.
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    instance INTEGER NOT NULL,
    seq_first INTEGER NOT NULL,
    seq_last INTEGER NOT NULL,
    ts_first INTEGER NOT NULL,
    ts_last INTEGER NOT NULL,
    samples INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_instance_ts ON chunks (instance, ts_last);
CREATE INDEX IF NOT EXISTS chunks_instance_seq ON chunks (instance, seq_last);
CREATE INDEX IF NOT EXISTS chunks_ts ON chunks (ts_last);
