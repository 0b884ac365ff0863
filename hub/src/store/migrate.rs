//! Versioned migrations, embedded in the binary and applied at start-up.
//! Each backend records what it applied in `schema_migrations`; applying is
//! idempotent (a version already recorded is skipped).

/// One migration.
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const SQLITE: &[Migration] = &[
    Migration { version: 1, name: "init", sql: include_str!("../../../migrations/sqlite/0001_init.sql") },
    Migration { version: 2, name: "alerts", sql: include_str!("../../../migrations/sqlite/0002_alerts.sql") },
    Migration { version: 3, name: "chunks", sql: include_str!("../../../migrations/sqlite/0003_chunks.sql") },
    Migration { version: 4, name: "totals", sql: include_str!("../../../migrations/sqlite/0004_totals.sql") },
    Migration {
        version: 5,
        name: "agent_tokens",
        sql: include_str!("../../../migrations/sqlite/0005_agent_tokens.sql"),
    },
    Migration {
        version: 6,
        name: "machine_labels",
        sql: include_str!("../../../migrations/sqlite/0006_machine_labels.sql"),
    },
    Migration {
        version: 7,
        name: "machine_settings",
        sql: include_str!("../../../migrations/sqlite/0007_machine_settings.sql"),
    },
    Migration {
        version: 8,
        name: "machine_interval",
        sql: include_str!("../../../migrations/sqlite/0008_machine_interval.sql"),
    },
    Migration { version: 9, name: "audit_log", sql: include_str!("../../../migrations/sqlite/0009_audit_log.sql") },
    Migration {
        version: 10,
        name: "notifications",
        sql: include_str!("../../../migrations/sqlite/0010_notifications.sql"),
    },
    Migration { version: 11, name: "silences", sql: include_str!("../../../migrations/sqlite/0011_silences.sql") },
    Migration {
        version: 12,
        name: "alert_parts",
        sql: include_str!("../../../migrations/sqlite/0012_alert_parts.sql"),
    },
];

/// PostgreSQL: the first migration, then one of two second ones.
pub const POSTGRES: &[Migration] =
    &[Migration { version: 1, name: "init", sql: include_str!("../../../migrations/postgres/0001_init.sql") }];

/// Without TimescaleDB: BRIN index and rollup tables the hub maintains.
pub const POSTGRES_PLAIN: Migration =
    Migration { version: 2, name: "plain", sql: include_str!("../../../migrations/postgres/0002_plain.sql") };

/// PostgreSQL migrations after the second, for either flavour.
pub const POSTGRES_LATER: &[Migration] = &[
    Migration { version: 3, name: "alerts", sql: include_str!("../../../migrations/postgres/0003_alerts.sql") },
    Migration { version: 4, name: "chunks", sql: include_str!("../../../migrations/postgres/0004_chunks.sql") },
    Migration {
        version: 5,
        name: "agent_tokens",
        sql: include_str!("../../../migrations/postgres/0005_agent_tokens.sql"),
    },
    Migration {
        version: 6,
        name: "machine_labels",
        sql: include_str!("../../../migrations/postgres/0006_machine_labels.sql"),
    },
    Migration {
        version: 7,
        name: "machine_settings",
        sql: include_str!("../../../migrations/postgres/0007_machine_settings.sql"),
    },
    Migration {
        version: 8,
        name: "machine_interval",
        sql: include_str!("../../../migrations/postgres/0008_machine_interval.sql"),
    },
    Migration { version: 9, name: "audit_log", sql: include_str!("../../../migrations/postgres/0009_audit_log.sql") },
    Migration {
        version: 10,
        name: "notifications",
        sql: include_str!("../../../migrations/postgres/0010_notifications.sql"),
    },
    Migration { version: 11, name: "silences", sql: include_str!("../../../migrations/postgres/0011_silences.sql") },
    Migration {
        version: 12,
        name: "alert_parts",
        sql: include_str!("../../../migrations/postgres/0012_alert_parts.sql"),
    },
];

/// With TimescaleDB: hypertable, compression, continuous aggregates.
pub const POSTGRES_TIMESCALE: Migration =
    Migration { version: 2, name: "timescale", sql: include_str!("../../../migrations/postgres/0002_timescale.sql") };

/// The table every backend keeps its applied versions in.
pub const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::METRICS;

    #[test]
    fn versions_increase_and_every_metric_has_columns() {
        let plain: Vec<&Migration> = POSTGRES.iter().chain([&POSTGRES_PLAIN]).chain(POSTGRES_LATER).collect();
        let timescale: Vec<&Migration> = POSTGRES.iter().chain([&POSTGRES_TIMESCALE]).chain(POSTGRES_LATER).collect();
        let sqlite: Vec<&Migration> = SQLITE.iter().collect();
        for list in [sqlite, plain, timescale] {
            assert!(list.windows(2).all(|w| w[0].version < w[1].version));
            let all: String = list.iter().map(|m| m.sql).collect();
            for metric in METRICS {
                assert!(all.contains(&format!("    {} ", metric.name)), "samples lacks {}", metric.name);
                for suffix in ["_avg", "_max"] {
                    let column = format!("{}{suffix}", metric.name);
                    let declared = all.contains(&format!("    {column} "))
                        || all.contains(&format!("AS {column},"))
                        || all.contains(&format!("AS {column}\n"));
                    assert!(declared, "rollups lack {column}");
                }
            }
        }
    }
}
