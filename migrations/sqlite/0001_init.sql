-- sysmonstm schema, version 1 (SQLite, the embedded default).
-- A documented interface: see docs/schema.md. Times are ms since the Unix
-- epoch (UTC); rates per second; percentages 0..100.

CREATE TABLE IF NOT EXISTS machines (
    machine_id TEXT PRIMARY KEY,
    hostname TEXT NOT NULL DEFAULT '',
    os TEXT NOT NULL DEFAULT '',
    kernel TEXT NOT NULL DEFAULT '',
    arch TEXT NOT NULL DEFAULT '',
    cpu_model TEXT NOT NULL DEFAULT '',
    cpu_cores INTEGER NOT NULL DEFAULT 0,
    memory_total INTEGER NOT NULL DEFAULT 0,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    -- The latest sample as JSON, so a restarted hub lists the machine with its last values.
    latest TEXT
);

-- One wide row per sample.
CREATE TABLE IF NOT EXISTS samples (
    machine_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    cpu_percent REAL,
    memory_percent REAL,
    memory_used REAL,
    swap_percent REAL,
    disk_percent REAL,
    load1 REAL,
    load5 REAL,
    load15 REAL,
    load1_per_core REAL,
    net_rx_bps REAL,
    net_tx_bps REAL,
    disk_read_bps REAL,
    disk_write_bps REAL,
    process_count REAL,
    tcp_connections REAL,
    -- Per-core CPU, disks, disk IO, interfaces and top processes, as JSON.
    detail TEXT NOT NULL,
    PRIMARY KEY (machine_id, instance_id, seq)
);
CREATE INDEX IF NOT EXISTS samples_machine_ts ON samples (machine_id, ts);
CREATE INDEX IF NOT EXISTS samples_ts ON samples (ts);

-- 1-minute and 1-hour rollups: average and maximum of every metric.
CREATE TABLE IF NOT EXISTS samples_1m (
    machine_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    samples INTEGER NOT NULL,
    cpu_percent_avg REAL,
    cpu_percent_max REAL,
    memory_percent_avg REAL,
    memory_percent_max REAL,
    memory_used_avg REAL,
    memory_used_max REAL,
    swap_percent_avg REAL,
    swap_percent_max REAL,
    disk_percent_avg REAL,
    disk_percent_max REAL,
    load1_avg REAL,
    load1_max REAL,
    load5_avg REAL,
    load5_max REAL,
    load15_avg REAL,
    load15_max REAL,
    load1_per_core_avg REAL,
    load1_per_core_max REAL,
    net_rx_bps_avg REAL,
    net_rx_bps_max REAL,
    net_tx_bps_avg REAL,
    net_tx_bps_max REAL,
    disk_read_bps_avg REAL,
    disk_read_bps_max REAL,
    disk_write_bps_avg REAL,
    disk_write_bps_max REAL,
    process_count_avg REAL,
    process_count_max REAL,
    tcp_connections_avg REAL,
    tcp_connections_max REAL,
    PRIMARY KEY (machine_id, ts)
);
CREATE INDEX IF NOT EXISTS samples_1m_ts ON samples_1m (ts);

CREATE TABLE IF NOT EXISTS samples_1h (
    machine_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    samples INTEGER NOT NULL,
    cpu_percent_avg REAL,
    cpu_percent_max REAL,
    memory_percent_avg REAL,
    memory_percent_max REAL,
    memory_used_avg REAL,
    memory_used_max REAL,
    swap_percent_avg REAL,
    swap_percent_max REAL,
    disk_percent_avg REAL,
    disk_percent_max REAL,
    load1_avg REAL,
    load1_max REAL,
    load5_avg REAL,
    load5_max REAL,
    load15_avg REAL,
    load15_max REAL,
    load1_per_core_avg REAL,
    load1_per_core_max REAL,
    net_rx_bps_avg REAL,
    net_rx_bps_max REAL,
    net_tx_bps_avg REAL,
    net_tx_bps_max REAL,
    disk_read_bps_avg REAL,
    disk_read_bps_max REAL,
    disk_write_bps_avg REAL,
    disk_write_bps_max REAL,
    process_count_avg REAL,
    process_count_max REAL,
    tcp_connections_avg REAL,
    tcp_connections_max REAL,
    PRIMARY KEY (machine_id, ts)
);
CREATE INDEX IF NOT EXISTS samples_1h_ts ON samples_1h (ts);
