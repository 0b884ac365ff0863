//! Which samples a store holds: per agent instance, how many, how many
//! distinct seqs, the lowest and the highest (loss and duplicates show).

/// Per agent instance of `machine` in a stopped hub's SQLite file: (count,
/// distinct seqs, min seq, max seq), oldest instance first; wherever the
/// samples are kept (recent rows, sealed chunks).
pub fn sqlite_instances(db: &std::path::Path, machine: &str) -> Vec<(i64, i64, i64, i64)> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    count_instances(sysmonstm_hub::store::sqlite_chunks::stored_samples(&conn, machine).expect("stored samples"))
}

/// Per agent instance of stored (instance_id, seq, ts): (stored, distinct
/// seqs, lowest seq, highest seq), in order of each one's first sample.
pub fn count_instances(stored: Vec<(String, u64, i64)>) -> Vec<(i64, i64, i64, i64)> {
    let mut by_instance: std::collections::BTreeMap<String, (i64, Vec<u64>)> = Default::default();
    for (instance, seq, ts) in stored {
        let entry = by_instance.entry(instance).or_insert((i64::MAX, Vec::new()));
        entry.0 = entry.0.min(ts);
        entry.1.push(seq);
    }
    let mut rows: Vec<(i64, (i64, i64, i64, i64))> = by_instance
        .into_values()
        .map(|(first_ts, mut seqs)| {
            let count = seqs.len() as i64;
            seqs.sort_unstable();
            let (min, max) = (seqs[0] as i64, seqs[seqs.len() - 1] as i64);
            seqs.dedup();
            (first_ts, (count, seqs.len() as i64, min, max))
        })
        .collect();
    rows.sort_unstable_by_key(|(ts, _)| *ts);
    rows.into_iter().map(|(_, r)| r).collect()
}

/// (count, distinct seqs, min seq, max seq) of the one instance of
/// `machine` in a stopped hub's SQLite file.
pub fn sqlite_stored_seqs(db: &std::path::Path, machine: &str) -> (i64, i64, i64, i64) {
    let instances = sqlite_instances(db, machine);
    assert_eq!(instances.len(), 1, "one agent instance: {instances:?}");
    instances[0]
}
