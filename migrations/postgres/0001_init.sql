-- sysmonstm schema, version 1 (PostgreSQL; TimescaleDB features are added
-- by the hub when the extension is available). A documented interface: see
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

-- 1-minute and 1-hour rollups: average and maximum of every metric. With
-- TimescaleDB these are replaced by continuous aggregates of the same names
-- and columns (migration 0002 in code); without it the hub maintains them.
CREATE TABLE IF NOT EXISTS samples_1m (
    machine_id TEXT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    samples BIGINT NOT NULL,
    cpu_percent_avg DOUBLE PRECISION,
    cpu_percent_max DOUBLE PRECISION,
    memory_percent_avg DOUBLE PRECISION,
    memory_percent_max DOUBLE PRECISION,
    memory_used_avg DOUBLE PRECISION,
    memory_used_max DOUBLE PRECISION,
    swap_percent_avg DOUBLE PRECISION,
    swap_percent_max DOUBLE PRECISION,
    disk_percent_avg DOUBLE PRECISION,
    disk_percent_max DOUBLE PRECISION,
    load1_avg DOUBLE PRECISION,
    load1_max DOUBLE PRECISION,
    load5_avg DOUBLE PRECISION,
    load5_max DOUBLE PRECISION,
    load15_avg DOUBLE PRECISION,
    load15_max DOUBLE PRECISION,
    load1_per_core_avg DOUBLE PRECISION,
    load1_per_core_max DOUBLE PRECISION,
    net_rx_bps_avg DOUBLE PRECISION,
    net_rx_bps_max DOUBLE PRECISION,
    net_tx_bps_avg DOUBLE PRECISION,
    net_tx_bps_max DOUBLE PRECISION,
    disk_read_bps_avg DOUBLE PRECISION,
    disk_read_bps_max DOUBLE PRECISION,
    disk_write_bps_avg DOUBLE PRECISION,
    disk_write_bps_max DOUBLE PRECISION,
    process_count_avg DOUBLE PRECISION,
    process_count_max DOUBLE PRECISION,
    tcp_connections_avg DOUBLE PRECISION,
    tcp_connections_max DOUBLE PRECISION,
    PRIMARY KEY (machine_id, ts)
);

CREATE TABLE IF NOT EXISTS samples_1h (
    machine_id TEXT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    samples BIGINT NOT NULL,
    cpu_percent_avg DOUBLE PRECISION,
    cpu_percent_max DOUBLE PRECISION,
    memory_percent_avg DOUBLE PRECISION,
    memory_percent_max DOUBLE PRECISION,
    memory_used_avg DOUBLE PRECISION,
    memory_used_max DOUBLE PRECISION,
    swap_percent_avg DOUBLE PRECISION,
    swap_percent_max DOUBLE PRECISION,
    disk_percent_avg DOUBLE PRECISION,
    disk_percent_max DOUBLE PRECISION,
    load1_avg DOUBLE PRECISION,
    load1_max DOUBLE PRECISION,
    load5_avg DOUBLE PRECISION,
    load5_max DOUBLE PRECISION,
    load15_avg DOUBLE PRECISION,
    load15_max DOUBLE PRECISION,
    load1_per_core_avg DOUBLE PRECISION,
    load1_per_core_max DOUBLE PRECISION,
    net_rx_bps_avg DOUBLE PRECISION,
    net_rx_bps_max DOUBLE PRECISION,
    net_tx_bps_avg DOUBLE PRECISION,
    net_tx_bps_max DOUBLE PRECISION,
    disk_read_bps_avg DOUBLE PRECISION,
    disk_read_bps_max DOUBLE PRECISION,
    disk_write_bps_avg DOUBLE PRECISION,
    disk_write_bps_max DOUBLE PRECISION,
    process_count_avg DOUBLE PRECISION,
    process_count_max DOUBLE PRECISION,
    tcp_connections_avg DOUBLE PRECISION,
    tcp_connections_max DOUBLE PRECISION,
    PRIMARY KEY (machine_id, ts)
);
