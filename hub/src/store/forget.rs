//! Forgetting a machine (`DELETE /api/machines/{id}`): the statements both
//! backends run in one transaction (`$1` is the machine id; SQLite numbers
//! it the same), and what the in-memory state drops with them.
//!
//! Forgetting removes the machine's row and its hub-side settings; its
//! history stays, found again if the same id reports later. Purging also
//! deletes its samples (recent rows, chunks, version-1 rows), rollups and
//! agent instances.

/// Statements that forget a machine.
pub const FORGET: &[&str] =
    &["DELETE FROM machines WHERE machine_id = $1", "DELETE FROM machine_settings WHERE machine_id = $1"];

/// Statements that also delete its history; `instances` last, since the
/// others find its rows through it.
pub const PURGE: &[&str] = &[
    "DELETE FROM samples_recent WHERE instance IN (SELECT key FROM instances WHERE machine_id = $1)",
    "DELETE FROM chunks WHERE instance IN (SELECT key FROM instances WHERE machine_id = $1)",
    "DELETE FROM samples WHERE machine_id = $1",
    "DELETE FROM samples_1m WHERE machine_id = $1",
    "DELETE FROM samples_1h WHERE machine_id = $1",
    "DELETE FROM instances WHERE machine_id = $1",
];

/// What to delete: the statements, in order.
pub fn statements(purge_history: bool) -> impl Iterator<Item = &'static str> {
    FORGET.iter().chain(if purge_history { PURGE } else { &[] }).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purging_deletes_instances_last() {
        assert_eq!(statements(false).count(), FORGET.len());
        let all: Vec<&str> = statements(true).collect();
        assert_eq!(all.len(), FORGET.len() + PURGE.len());
        assert!(all.last().is_some_and(|s| s.contains("FROM instances")));
    }
}
