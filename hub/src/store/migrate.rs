//! Versioned migrations, embedded in the binary and applied at start-up.
//! Each backend records what it applied in `schema_migrations`; applying is
//! idempotent (a version already recorded is skipped).

/// One migration.
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const SQLITE: &[Migration] =
    &[Migration { version: 1, name: "init", sql: include_str!("../../../migrations/sqlite/0001_init.sql") }];

pub const POSTGRES: &[Migration] =
    &[Migration { version: 1, name: "init", sql: include_str!("../../../migrations/postgres/0001_init.sql") }];

/// The table every backend keeps its applied versions in.
pub const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::metrics::METRICS;

    #[test]
    fn versions_increase_and_every_metric_has_columns() {
        for list in [SQLITE, POSTGRES] {
            assert!(list.windows(2).all(|w| w[0].version < w[1].version));
            let all: String = list.iter().map(|m| m.sql).collect();
            for metric in METRICS {
                assert!(all.contains(&format!("    {} ", metric.name)), "samples lacks {}", metric.name);
                assert!(all.contains(&format!("    {}_avg ", metric.name)), "rollups lack {}_avg", metric.name);
                assert!(all.contains(&format!("    {}_max ", metric.name)), "rollups lack {}_max", metric.name);
            }
        }
    }
}
