-- With TimescaleDB (chosen by the hub when the extension is available):
-- samples becomes a hypertable (1-day chunks, compressed after 2 days,
-- segmented by machine), and the rollups are continuous aggregates with the
-- same names and columns as the plain tables of 0002_plain.sql. Retention is
-- applied by the hub with drop_chunks, from its --retention-* flags.
CREATE EXTENSION IF NOT EXISTS timescaledb;

SELECT create_hypertable('samples', 'ts', chunk_time_interval => INTERVAL '1 day',
                         if_not_exists => TRUE, migrate_data => TRUE);

ALTER TABLE samples SET (timescaledb.compress, timescaledb.compress_segmentby = 'machine_id',
                         timescaledb.compress_orderby = 'ts DESC');
SELECT add_compression_policy('samples', INTERVAL '2 days', if_not_exists => TRUE);

CREATE MATERIALIZED VIEW IF NOT EXISTS samples_1m WITH (timescaledb.continuous) AS
SELECT
    machine_id,
    time_bucket(INTERVAL '1 minute', ts) AS ts,
    count(*) AS samples,
    avg(cpu_percent) AS cpu_percent_avg,
    max(cpu_percent) AS cpu_percent_max,
    avg(memory_percent) AS memory_percent_avg,
    max(memory_percent) AS memory_percent_max,
    avg(memory_used) AS memory_used_avg,
    max(memory_used) AS memory_used_max,
    avg(swap_percent) AS swap_percent_avg,
    max(swap_percent) AS swap_percent_max,
    avg(disk_percent) AS disk_percent_avg,
    max(disk_percent) AS disk_percent_max,
    avg(load1) AS load1_avg,
    max(load1) AS load1_max,
    avg(load5) AS load5_avg,
    max(load5) AS load5_max,
    avg(load15) AS load15_avg,
    max(load15) AS load15_max,
    avg(load1_per_core) AS load1_per_core_avg,
    max(load1_per_core) AS load1_per_core_max,
    avg(net_rx_bps) AS net_rx_bps_avg,
    max(net_rx_bps) AS net_rx_bps_max,
    avg(net_tx_bps) AS net_tx_bps_avg,
    max(net_tx_bps) AS net_tx_bps_max,
    avg(disk_read_bps) AS disk_read_bps_avg,
    max(disk_read_bps) AS disk_read_bps_max,
    avg(disk_write_bps) AS disk_write_bps_avg,
    max(disk_write_bps) AS disk_write_bps_max,
    avg(process_count) AS process_count_avg,
    max(process_count) AS process_count_max,
    avg(tcp_connections) AS tcp_connections_avg,
    max(tcp_connections) AS tcp_connections_max
FROM samples
GROUP BY machine_id, time_bucket(INTERVAL '1 minute', ts)
WITH NO DATA;

SELECT add_continuous_aggregate_policy('samples_1m', start_offset => INTERVAL '3 hours',
    end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute', if_not_exists => TRUE);

CREATE MATERIALIZED VIEW IF NOT EXISTS samples_1h WITH (timescaledb.continuous) AS
SELECT
    machine_id,
    time_bucket(INTERVAL '1 hour', ts) AS ts,
    count(*) AS samples,
    avg(cpu_percent) AS cpu_percent_avg,
    max(cpu_percent) AS cpu_percent_max,
    avg(memory_percent) AS memory_percent_avg,
    max(memory_percent) AS memory_percent_max,
    avg(memory_used) AS memory_used_avg,
    max(memory_used) AS memory_used_max,
    avg(swap_percent) AS swap_percent_avg,
    max(swap_percent) AS swap_percent_max,
    avg(disk_percent) AS disk_percent_avg,
    max(disk_percent) AS disk_percent_max,
    avg(load1) AS load1_avg,
    max(load1) AS load1_max,
    avg(load5) AS load5_avg,
    max(load5) AS load5_max,
    avg(load15) AS load15_avg,
    max(load15) AS load15_max,
    avg(load1_per_core) AS load1_per_core_avg,
    max(load1_per_core) AS load1_per_core_max,
    avg(net_rx_bps) AS net_rx_bps_avg,
    max(net_rx_bps) AS net_rx_bps_max,
    avg(net_tx_bps) AS net_tx_bps_avg,
    max(net_tx_bps) AS net_tx_bps_max,
    avg(disk_read_bps) AS disk_read_bps_avg,
    max(disk_read_bps) AS disk_read_bps_max,
    avg(disk_write_bps) AS disk_write_bps_avg,
    max(disk_write_bps) AS disk_write_bps_max,
    avg(process_count) AS process_count_avg,
    max(process_count) AS process_count_max,
    avg(tcp_connections) AS tcp_connections_avg,
    max(tcp_connections) AS tcp_connections_max
FROM samples
GROUP BY machine_id, time_bucket(INTERVAL '1 hour', ts)
WITH NO DATA;

SELECT add_continuous_aggregate_policy('samples_1h', start_offset => INTERVAL '3 days',
    end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes', if_not_exists => TRUE);
