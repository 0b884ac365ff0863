//! Size-based retention (`--max-disk`) and what the store reports about
//! its size (pure; both backends measure and free, this decides).
//!
//! The store keeps its on-disk size under the limit with room to spare:
//! a headroom of a tenth of the limit, or twice what it grew by since the
//! last check if that is more (a busy fleet grows by minutes of recent
//! rows between checks). Once over `limit - headroom`, the oldest data go
//! first, by tier: raw samples (version-1 rows, then chunks), then the
//! 1-minute rollups, the 1-hour rollups last; freeing goes a little below
//! the mark (a twentieth of the limit), so it does not run on every check.

use serde::Serialize;

/// Most rounds of freeing in one check (each measures again).
pub const MAX_ROUNDS: usize = 32;

/// How far under the limit the store keeps itself, given how much it
/// grew since the last check.
pub fn headroom(limit: u64, growth: u64) -> u64 {
    (limit / 10).max(growth.saturating_mul(2)).min(limit / 2)
}

/// Where freeing should bring the store (bytes used), at `used` bytes of
/// `limit`, `previous` being what it used after the last check; None when
/// nothing needs to go.
pub fn mark(used: u64, limit: u64, previous: Option<u64>) -> Option<u64> {
    let growth = previous.map_or(0, |p| used.saturating_sub(p));
    let need = to_free(used, limit, growth);
    (need > 0).then(|| used.saturating_sub(need))
}

/// How many bytes to free now (0: none), at `used` bytes of `limit`.
pub fn to_free(used: u64, limit: u64, growth: u64) -> u64 {
    let mark = limit - headroom(limit, growth);
    if used <= mark {
        return 0;
    }
    used - mark + limit / 20
}

/// What a store holds and how big it is, for `/api/stats`, `/metrics`
/// and the dashboard's storage panel.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StoreUsage {
    /// Bytes on disk: the database file and its WAL, or the PostgreSQL database.
    pub total_bytes: u64,
    /// `--max-disk`, when set.
    pub limit_bytes: Option<u64>,
    /// Bytes per table (with its indexes; partitions summed), largest first.
    pub tables: Vec<TableUsage>,
    /// Raw samples held (sealed, recent and version-1).
    pub raw_samples: u64,
    /// Version-1 wide rows not yet converted into chunks (after an upgrade).
    pub version1_rows: u64,
    /// `total_bytes / raw_samples`: what a stored sample costs, everything included.
    pub bytes_per_sample: Option<f64>,
    /// The oldest data held per tier (ms), None when the tier is empty.
    pub oldest_raw_ms: Option<i64>,
    pub oldest_minute_ms: Option<i64>,
    pub oldest_hour_ms: Option<i64>,
    /// When this was measured (ms).
    pub measured_at_ms: i64,
}

/// One table's share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableUsage {
    pub table: String,
    pub bytes: u64,
}

impl StoreUsage {
    /// Fills in what follows from the measured fields, tables largest first.
    pub fn finish(mut self, limit: Option<u64>, now_ms: i64) -> StoreUsage {
        self.limit_bytes = limit;
        self.bytes_per_sample = (self.raw_samples > 0).then(|| self.total_bytes as f64 / self.raw_samples as f64);
        self.tables.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.table.cmp(&b.table)));
        self.measured_at_ms = now_ms;
        self
    }
}

/// What freeing space dropped, per tier (rows or chunks, and the oldest
/// time kept afterwards).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Freed {
    pub raw_chunks: u64,
    pub raw_rows: u64,
    pub minute_rows: u64,
    pub hour_rows: u64,
    /// Bytes used before and after.
    pub before: u64,
    pub after: u64,
}

impl Freed {
    /// Nothing freed yet, at `used` bytes.
    pub fn at(used: u64) -> Freed {
        Freed { before: used, after: used, ..Freed::default() }
    }

    pub fn any(&self) -> bool {
        self.raw_chunks + self.raw_rows + self.minute_rows + self.hour_rows > 0
    }
}

/// How many of the oldest rows (of about `row_bytes` each) to delete to
/// free `need` bytes: at least `min`, at most `max`.
pub fn rows_for(need: u64, row_bytes: u64, min: u64, max: u64) -> u64 {
    (need / row_bytes.max(1)).saturating_add(1).clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1_000_000_000;

    #[test]
    fn frees_below_the_mark_once_over_it() {
        assert_eq!(to_free(8 * GB, 10 * GB, 0), 0, "under the mark");
        assert_eq!(to_free(9 * GB, 10 * GB, 0), 0, "at the mark");
        // Over by 0.5 GB: free that and a twentieth of the limit more.
        assert_eq!(to_free(9 * GB + GB / 2, 10 * GB, 0), GB / 2 + GB / 2);
    }

    #[test]
    fn the_mark_is_below_the_limit_less_headroom() {
        assert_eq!(mark(8 * GB, 10 * GB, None), None);
        assert_eq!(mark(9 * GB + GB / 2, 10 * GB, None), Some(9 * GB + GB / 2 - GB));
        assert_eq!(mark(8 * GB, 10 * GB, Some(6 * GB)), Some(5 * GB + GB / 2), "2 GB growth: 4 GB headroom");
    }

    #[test]
    fn fast_growth_widens_the_headroom() {
        assert_eq!(headroom(10 * GB, 0), GB);
        assert_eq!(headroom(10 * GB, 2 * GB), 4 * GB, "twice the growth since the last check");
        assert_eq!(headroom(10 * GB, 9 * GB), 5 * GB, "never more than half the limit");
        assert!(to_free(7 * GB, 10 * GB, 2 * GB) > 0, "7 GB is too close when 2 GB arrive per check");
    }

    #[test]
    fn usage_derives_cost_per_sample_and_orders_tables() {
        let usage = StoreUsage {
            total_bytes: 3600,
            raw_samples: 100,
            tables: vec![
                TableUsage { table: "a".into(), bytes: 1 },
                TableUsage { table: "chunks".into(), bytes: 3000 },
            ],
            ..StoreUsage::default()
        }
        .finish(Some(10_000), 42);
        assert_eq!(usage.bytes_per_sample, Some(36.0));
        assert_eq!(usage.tables[0].table, "chunks");
        assert_eq!((usage.limit_bytes, usage.measured_at_ms), (Some(10_000), 42));
        assert_eq!(StoreUsage::default().finish(None, 0).bytes_per_sample, None);
    }

    #[test]
    fn row_counts_are_bounded() {
        assert_eq!(rows_for(3000, 300, 100, 10_000), 100);
        assert_eq!(rows_for(300_000, 300, 100, 10_000), 1001);
        assert_eq!(rows_for(u64::MAX, 1, 100, 10_000), 10_000);
        assert_eq!(rows_for(0, 0, 1, 5), 1);
    }
}
