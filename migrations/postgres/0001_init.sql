-- sysmonstm schema, version 1 (PostgreSQL). Migration 0002 adds the
-- rollups: plain tables, or TimescaleDB continuous aggregates when the
-- extension is available. A documented interface: see
-- docs/schema.md. Rates per second; percentages 0..100.

CREATE TABLE IF NOT EXISTS machines (
    machine_id TEXT PRIMARY KEY,
    hostname TEXT NOT NULL DEFAULT '',
    os TEXT NOT NULL DEFAULT '',
    kernel TEXT NOT NULL DEFAULT '',
    arch TEXT NOT NULL DEFAULT '',
    cpu_model TEXT NOT NULL DEFAULT '',
    cpu_cores INTEGER NOT NULL DEFAULT 0,
    memory_total BIGINT NOT NULL DEFAULT 0,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    -- The latest sample as JSON, so a restarted hub lists the machine with its last values.
    latest JSONB
);

-- One wide row per sample.
CREATE TABLE IF NOT EXISTS samples (
    machine_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    cpu_percent DOUBLE PRECISION,
    memory_percent DOUBLE PRECISION,
    memory_used DOUBLE PRECISION,
    swap_percent DOUBLE PRECISION,
    disk_percent DOUBLE PRECISION,
    load1 DOUBLE PRECISION,
    load5 DOUBLE PRECISION,
    load15 DOUBLE PRECISION,
    load1_per_core DOUBLE PRECISION,
    net_rx_bps DOUBLE PRECISION,
    net_tx_bps DOUBLE PRECISION,
    disk_read_bps DOUBLE PRECISION,
    disk_write_bps DOUBLE PRECISION,
    process_count DOUBLE PRECISION,
    tcp_connections DOUBLE PRECISION,
    -- Per-core CPU, disks, disk IO, interfaces and top processes.
    detail JSONB NOT NULL,
    PRIMARY KEY (machine_id, instance_id, seq, ts)
);
CREATE INDEX IF NOT EXISTS samples_machine_ts ON samples (machine_id, ts DESC);
