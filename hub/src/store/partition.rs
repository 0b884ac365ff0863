//! PostgreSQL's time partitions (pure): which partition holds a time,
//! what it is called, and which ones retention may drop whole.
//!
//! `chunks` is partitioned by `ts_last` (a chunk's newest sample), the
//! rollup tables by `ts`, each into ranges of a fixed width aligned to the
//! Unix epoch. A partition is named after its table and the UTC date it
//! starts on (`chunks_20261201`), so an operator can read `\d+` at a glance;
//! migration 4 of PostgreSQL spells the same rule in SQL.

use std::time::UNIX_EPOCH;

const DAY_MS: i64 = 86_400_000;

/// A partitioned table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partitioned {
    pub table: &'static str,
    /// Width of one partition, ms.
    pub width_ms: i64,
}

/// Sealed chunks, a day per partition: raw retention drops a day at a time.
pub const CHUNKS: Partitioned = Partitioned { table: "chunks", width_ms: DAY_MS };
/// 1-minute rollups (1,440 rows per machine and day), a week per partition.
pub const MINUTES: Partitioned = Partitioned { table: "samples_1m", width_ms: 7 * DAY_MS };
/// 1-hour rollups, four weeks per partition.
pub const HOURS: Partitioned = Partitioned { table: "samples_1h", width_ms: 28 * DAY_MS };
/// Every partitioned table.
pub const ALL: [Partitioned; 3] = [CHUNKS, MINUTES, HOURS];

/// One partition: its table's child holding [start, end).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Partition {
    pub name: String,
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Partitioned {
    /// The partition holding `ts`.
    pub fn holding(&self, ts_ms: i64) -> Partition {
        let start_ms = ts_ms.div_euclid(self.width_ms) * self.width_ms;
        Partition { name: self.name_at(start_ms), start_ms, end_ms: start_ms + self.width_ms }
    }

    /// The name of the partition starting at `start_ms`.
    pub fn name_at(&self, start_ms: i64) -> String {
        let time = sysmonstm_protocol::clock::from_ms(start_ms);
        let date: String = humantime::format_rfc3339_seconds(time).to_string().chars().take(10).collect();
        format!("{}_{}", self.table, date.replace('-', ""))
    }

    /// The partition a name of this table's stands for (None for any
    /// other table, such as one an operator attached by hand).
    pub fn parse(&self, name: &str) -> Option<Partition> {
        let date = name.strip_prefix(self.table)?.strip_prefix('_')?;
        if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let text = format!("{}-{}-{}T00:00:00Z", &date[..4], &date[4..6], &date[6..]);
        let start = humantime::parse_rfc3339(&text).ok()?.duration_since(UNIX_EPOCH).ok()?.as_millis() as i64;
        let p = self.holding(start);
        (p.start_ms == start).then_some(p)
    }

    /// Every partition from the one holding `from` to the one holding `to`.
    pub fn covering(&self, from_ms: i64, to_ms: i64) -> Vec<Partition> {
        let mut out = Vec::new();
        let mut p = self.holding(from_ms);
        while p.start_ms <= to_ms {
            let next = p.end_ms;
            out.push(p);
            p = self.holding(next);
        }
        out
    }

    /// The statement creating `p` (nothing if it exists).
    pub fn create_sql(&self, p: &Partition) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ('{}') TO ('{}')",
            p.name,
            self.table,
            timestamp(p.start_ms),
            timestamp(p.end_ms)
        )
    }
}

/// A time as a PostgreSQL timestamptz literal.
fn timestamp(ms: i64) -> String {
    humantime::format_rfc3339_millis(sysmonstm_protocol::clock::from_ms(ms)).to_string()
}

/// Of `partitions` (name, end), those that hold only rows older than
/// `before`: retention drops them whole.
pub fn expired(partitions: &[(String, i64)], before_ms: i64) -> Vec<String> {
    partitions.iter().filter(|(_, end)| *end <= before_ms).map(|(name, _)| name.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_796_083_200_000; // 2026-12-01T00:00:00Z

    #[test]
    fn partitions_are_named_after_their_first_day() {
        let p = CHUNKS.holding(T + 5 * 3_600_000);
        assert_eq!(p, Partition { name: "chunks_20261201".into(), start_ms: T, end_ms: T + DAY_MS });
        assert_eq!(CHUNKS.holding(T - 1).name, "chunks_20261130");
        assert_eq!(CHUNKS.parse("chunks_20261201"), Some(p.clone()));
        assert_eq!(MINUTES.parse(&week_name(T)), Some(MINUTES.holding(T)));
        for other in ["chunks_2026120", "samples_1m_20261201x", "chunks_default", "samples_1h_20261201"] {
            assert_eq!(CHUNKS.parse(other), None, "{other}");
        }
        let week = MINUTES.holding(T);
        assert_eq!((week.start_ms % (7 * DAY_MS), week.end_ms - week.start_ms), (0, 7 * DAY_MS));
        assert!(week.start_ms <= T && T < week.end_ms);
        assert_eq!(
            CHUNKS.create_sql(&p),
            "CREATE TABLE IF NOT EXISTS chunks_20261201 PARTITION OF chunks \
             FOR VALUES FROM ('2026-12-01T00:00:00.000Z') TO ('2026-12-02T00:00:00.000Z')"
        );
    }

    fn week_name(ts: i64) -> String {
        MINUTES.holding(ts).name
    }

    #[test]
    fn covering_spans_both_ends() {
        let days = CHUNKS.covering(T + 1, T + 2 * DAY_MS);
        assert_eq!(
            days.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["chunks_20261201", "chunks_20261202", "chunks_20261203"]
        );
        assert_eq!(CHUNKS.covering(T, T).len(), 1);
    }

    #[test]
    fn only_wholly_old_partitions_expire() {
        let parts = vec![("a".to_owned(), T), ("b".to_owned(), T + DAY_MS)];
        assert_eq!(expired(&parts, T), vec!["a".to_owned()]);
        assert_eq!(expired(&parts, T - 1), Vec::<String>::new());
        assert_eq!(expired(&parts, T + DAY_MS), vec!["a".to_owned(), "b".to_owned()]);
    }
}
