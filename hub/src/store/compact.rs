//! Compact history's logic, written once for both backends (no I/O):
//! what a store keeps in memory about its recent rows ([`ChunkState`]),
//! the recent row's body, what sealing one instance makes of its rows
//! ([`seal_instance`]), and history answers gathered from chunks, recent
//! rows, version-1 rows and stored rollups ([`Gather`]).
//!
//! The backends (`sqlite_chunks`, `postgres_chunks`) keep only their SQL:
//! which rows to read, and where the results go, in which transaction.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sysmonstm_protocol::model::{HostInfo, Sample};

use super::chunk::{self, ChunkError};
use super::history::{Plan, Resolution};
use super::rollup::{self, Point, Rollups};
use super::seal::Pending;
use super::{Points, StoreError};
use crate::events::MachineUpdate;
use crate::metrics::{self, METRICS};

/// (machine_id, instance_id): an agent instance as the wire names it.
pub type InstanceId = (String, String);
/// Instance keys by [`InstanceId`].
pub type KeyMap = HashMap<InstanceId, i64>;

/// Instance keys by machine id, then instance id (looked up by `&str`,
/// without building an [`InstanceId`] per sample).
type Keys = HashMap<String, HashMap<String, i64>>;

fn add_keys(keys: &mut Keys, made: impl IntoIterator<Item = (InstanceId, i64)>) {
    for ((machine, instance), key) in made {
        keys.entry(machine).or_default().insert(instance, key);
    }
}

/// A batch's instance keys, in batch order: those known, and the
/// instances still to make (with the CPU cores their machine reports).
#[derive(Debug, Default, PartialEq)]
pub struct BatchKeys {
    pub keys: Vec<Option<i64>>,
    pub missing: Vec<(InstanceId, u32)>,
}

impl BatchKeys {
    /// Every position's key, once `made` holds the missing ones.
    pub fn resolve<'a>(
        self,
        batch: impl IntoIterator<Item = &'a Arc<MachineUpdate>>,
        made: &KeyMap,
    ) -> Result<Vec<i64>, StoreError> {
        self.keys
            .into_iter()
            .zip(batch)
            .map(|(key, update)| match key {
                Some(key) => Ok(key),
                None => {
                    let id = (update.machine_id().to_owned(), update.instance_id.to_string());
                    made.get(&id).copied().ok_or_else(|| StoreError::Worker(format!("no key for {id:?}")))
                }
            })
            .collect()
    }
}

/// A batch's updates with their keys (in batch order), sorted by key and
/// seq: how both backends write recent rows, so the inserts walk the
/// index forward and neighbouring instances share pages, which sealing
/// (a block of keys per transaction) then frees together.
pub fn in_key_order<'a>(
    keys: Vec<i64>,
    batch: impl IntoIterator<Item = &'a Arc<MachineUpdate>>,
) -> Vec<(i64, &'a Arc<MachineUpdate>)> {
    let mut ordered: Vec<(i64, &Arc<MachineUpdate>)> = keys.into_iter().zip(batch).collect();
    ordered.sort_unstable_by_key(|(key, update)| (*key, update.latest.seq));
    ordered
}

/// What a store keeps in memory about its compact history.
#[derive(Debug)]
pub struct ChunkState {
    /// Instance keys known to be stored.
    keys: Mutex<Keys>,
    /// Instances with recent rows, and their oldest.
    pending: Mutex<Pending>,
    /// How much of an instance's timeline one chunk covers.
    pub compact_after: Duration,
    /// Whether version-1 wide rows are left to read.
    legacy: AtomicBool,
    /// Raw samples older than this are past retention (dropped with their
    /// chunk or partition; until then hidden from history).
    raw_horizon: AtomicI64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ChunkState {
    /// The state of a store just opened: its instance keys, the oldest
    /// recent row of each instance that has any, whether version-1 rows exist.
    pub fn new(
        keys: HashMap<InstanceId, i64>,
        oldest: impl IntoIterator<Item = (i64, i64)>,
        compact_after: Duration,
        legacy: bool,
    ) -> ChunkState {
        let mut pending = Pending::default();
        for (instance, ts) in oldest {
            pending.wrote(instance, ts);
        }
        let mut by_machine = Keys::new();
        add_keys(&mut by_machine, keys);
        ChunkState {
            keys: Mutex::new(by_machine),
            pending: Mutex::new(pending),
            compact_after,
            legacy: legacy.into(),
            raw_horizon: i64::MIN.into(),
        }
    }

    /// The keys of a batch's instances, in batch order (see [`BatchKeys`]).
    pub fn batch_keys<'a>(&self, batch: impl IntoIterator<Item = &'a Arc<MachineUpdate>>) -> BatchKeys {
        let keys = lock(&self.keys);
        let mut out = BatchKeys::default();
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        for update in batch {
            let (machine, instance) = (update.machine_id(), &*update.instance_id);
            let key = keys.get(machine).and_then(|m| m.get(instance)).copied();
            if key.is_none() && seen.insert((machine, instance)) {
                out.missing.push(((machine.to_owned(), instance.to_owned()), update.host.cpu_cores));
            }
            out.keys.push(key);
        }
        out
    }

    /// After a commit: keys made, and recent rows written as (instance, ts).
    pub fn committed(&self, made: HashMap<InstanceId, i64>, written: impl IntoIterator<Item = (i64, i64)>) {
        add_keys(&mut lock(&self.keys), made);
        let mut pending = lock(&self.pending);
        for (instance, ts) in written {
            pending.wrote(instance, ts);
        }
    }

    /// Recent rows another writer (a hub beside this one) may have left:
    /// merged in, since an entry already sealed is harmless (sealing it
    /// finds nothing and forgets it).
    pub fn found(&self, oldest: impl IntoIterator<Item = (i64, i64)>) {
        let mut pending = lock(&self.pending);
        for (instance, ts) in oldest {
            pending.wrote(instance, ts);
        }
    }

    /// After sealing or retention: what is left of each instance.
    pub fn left(&self, left: Vec<(i64, Option<i64>)>) {
        let mut pending = lock(&self.pending);
        for (instance, oldest) in left {
            pending.left(instance, oldest);
        }
    }

    /// A machine's history was deleted: its instance keys and recent rows
    /// are gone.
    pub fn forget_machine(&self, machine_id: &str) {
        let gone = lock(&self.keys).remove(machine_id).unwrap_or_default();
        let mut pending = lock(&self.pending);
        for key in gone.into_values() {
            pending.left(key, None);
        }
    }

    /// Instances with recent rows.
    pub fn pending_instances(&self) -> usize {
        lock(&self.pending).len()
    }

    /// Instances due for sealing at `now`, with their cutoffs.
    pub fn due(&self, now_ms: i64) -> Vec<(i64, i64)> {
        lock(&self.pending).due(now_ms, self.compact_after)
    }

    /// The oldest unsealed sample (ms), if any.
    pub fn oldest_pending(&self) -> Option<i64> {
        lock(&self.pending).oldest()
    }

    /// Instances with recent rows older than `ts`.
    pub fn older_than(&self, ts: i64) -> Vec<i64> {
        lock(&self.pending).older_than(ts)
    }

    pub fn has_legacy(&self) -> bool {
        self.legacy.load(Ordering::Relaxed)
    }

    pub fn set_legacy(&self, left: bool) {
        self.legacy.store(left, Ordering::Relaxed);
    }

    pub fn raw_horizon(&self) -> i64 {
        self.raw_horizon.load(Ordering::Relaxed)
    }

    pub fn set_raw_horizon(&self, before: i64) {
        self.raw_horizon.fetch_max(before, Ordering::Relaxed);
    }
}

/// The environment variable of [`fault_pause`].
pub const FAULT_SEAL_PAUSE: &str = "SYSMONSTM_FAULT_SEAL_PAUSE_MS";

/// Fault injection for tests: with `SYSMONSTM_FAULT_SEAL_PAUSE_MS` set,
/// sealing stops that long between inserting a chunk and deleting its
/// rows (inside the transaction), and says so on stderr, so a test can
/// kill the hub right there. Read once; None (no pause) unless set.
pub fn fault_pause() -> Option<Duration> {
    static PAUSE: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    let pause = *PAUSE
        .get_or_init(|| std::env::var(FAULT_SEAL_PAUSE).ok().and_then(|ms| ms.parse().ok()).map(Duration::from_millis));
    if let Some(pause) = pause {
        eprintln!("{FAULT_SEAL_PAUSE}: sealing paused for {pause:?} between a chunk insert and its rows' delete");
    }
    pause
}

/// A recent row's body (see [`super::recent`]).
pub fn recent_body(sample: &Sample) -> Vec<u8> {
    super::recent::encode(sample)
}

/// The sample of a recent row.
pub fn from_recent_body(body: &[u8]) -> Result<Sample, StoreError> {
    super::recent::decode(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A chunk as both backends store it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkRow {
    pub seq_first: i64,
    pub seq_last: i64,
    pub ts_first: i64,
    pub ts_last: i64,
    pub samples: i64,
    pub body: Vec<u8>,
}

/// `samples` (one instance, in seq order) as chunks of at most
/// [`chunk::MAX_SAMPLES`].
pub fn chunk_rows(samples: &[Sample]) -> Result<Vec<ChunkRow>, ChunkError> {
    let mut rows = Vec::new();
    for run in samples.chunks(chunk::MAX_SAMPLES) {
        let (Some(first), Some(last)) = (run.first(), run.last()) else { continue };
        rows.push(ChunkRow {
            seq_first: first.seq as i64,
            seq_last: last.seq as i64,
            ts_first: run.iter().map(|s| s.timestamp_ms).min().unwrap_or(first.timestamp_ms),
            ts_last: run.iter().map(|s| s.timestamp_ms).max().unwrap_or(last.timestamp_ms),
            samples: run.len() as i64,
            body: chunk::encode(run)?,
        });
    }
    Ok(rows)
}

/// Adds the seqs a stored chunk holds to `held`; a chunk without gaps
/// says so by its bounds, so only a chunk with gaps is decoded.
pub fn add_held(held: &mut HashSet<u64>, first: i64, last: i64, samples: i64, body: &[u8]) -> Result<(), ChunkError> {
    if samples == last - first + 1 {
        held.extend(first.max(0) as u64..=last.max(0) as u64);
    } else {
        held.extend(chunk::decode_part(body, chunk::Part::Seqs)?.iter().map(|s| s.seq));
    }
    Ok(())
}

/// The seq range of samples read in seq order (None when there are none).
pub fn seq_range(samples: &[Sample]) -> Option<(i64, i64)> {
    Some((samples.first()?.seq as i64, samples.last()?.seq as i64))
}

/// What sealing did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    pub chunks: usize,
    pub samples: usize,
    /// Recent rows dropped because a chunk already held them.
    pub duplicates: usize,
}

impl std::ops::AddAssign for Sealed {
    fn add_assign(&mut self, other: Sealed) {
        self.chunks += other.chunks;
        self.samples += other.samples;
        self.duplicates += other.duplicates;
    }
}

/// Seals one instance's recent samples (in seq order): those a chunk
/// already holds (`held`) are dropped, the rest become chunks and are
/// added to `rollups`. Returns the chunks and what was done.
pub fn seal_instance(
    machine_id: &str,
    cpu_cores: u32,
    samples: Vec<Sample>,
    held: &HashSet<u64>,
    rollups: &mut Rollups,
) -> Result<(Vec<ChunkRow>, Sealed), ChunkError> {
    let host = HostInfo { cpu_cores, ..HostInfo::default() };
    chunks_of(samples, held, |s| rollups.add(machine_id, s, &host))
}

/// The samples not `held` as chunks, each passed to `kept` first.
fn chunks_of(
    mut samples: Vec<Sample>,
    held: &HashSet<u64>,
    mut kept: impl FnMut(&Sample),
) -> Result<(Vec<ChunkRow>, Sealed), ChunkError> {
    let before = samples.len();
    samples.retain(|s| !held.contains(&s.seq));
    samples.iter().for_each(&mut kept);
    let rows = chunk_rows(&samples)?;
    let done = Sealed { chunks: rows.len(), samples: samples.len(), duplicates: before - samples.len() };
    Ok((rows, done))
}

/// Samples of one instance (in seq order) as chunks, but for those a
/// chunk already holds (`held`); no rollups: what converting version-1
/// rows does, whose rollups exist already.
pub fn convert_run(samples: Vec<Sample>, held: &HashSet<u64>) -> Result<(Vec<ChunkRow>, Sealed), ChunkError> {
    chunks_of(samples, held, |_| {})
}

/// A version-1 row as its sample; a row whose detail cannot be read keeps
/// its metric columns (the detail was unreadable to the old hub too).
pub fn legacy_sample(seq: i64, ts: i64, values: &[Option<f64>], detail: &str) -> Sample {
    let seq = seq.max(0) as u64;
    super::rows::sample_of_row(seq, ts, values, detail)
        .or_else(|_| super::rows::sample_of_row(seq, ts, values, "{}"))
        .unwrap_or_default()
}

/// Version-1 rows converted per transaction: at most one chunk's worth.
pub const CONVERT_ROWS: i64 = chunk::MAX_SAMPLES as i64;

/// The buckets of a sealing run, as rows to merge: (table, machine_id,
/// bucket start, samples, avg and max of every metric in `METRICS` order).
pub fn rollup_rows(rollups: &Rollups) -> impl Iterator<Item = (&'static str, &str, i64, i64, Vec<f64>)> + '_ {
    [("samples_1m", &rollups.minute), ("samples_1h", &rollups.hour)].into_iter().flat_map(|(table, buckets)| {
        buckets.iter().map(move |((machine_id, ts), bucket)| {
            let values: Vec<f64> = bucket.avg().zip(&bucket.max).flat_map(|(avg, &max)| [avg, max]).collect();
            (table, machine_id.as_str(), *ts, bucket.samples, values)
        })
    })
}

/// A history answer being gathered: raw points from chunks and recent
/// rows (each (instance, seq) once), stored rollup rows, version-1 rows.
#[derive(Debug)]
pub struct Gather {
    plan: Plan,
    /// Positions in `METRICS` of the plan's metrics.
    wanted: Vec<usize>,
    /// Where raw samples start (past retention hidden).
    raw_from: i64,
    seen: HashSet<(i64, u64)>,
    points: Vec<Point>,
}

impl Gather {
    pub fn new(plan: &Plan, raw_horizon: i64) -> Gather {
        let wanted = plan.metrics.iter().filter_map(|name| METRICS.iter().position(|m| m.name == *name)).collect();
        Gather {
            plan: plan.clone(),
            wanted,
            raw_from: plan.from_ms.max(raw_horizon),
            seen: HashSet::new(),
            points: Vec::new(),
        }
    }

    /// The time range of chunks to read ([from, to)), or None when the
    /// plan reads rollups (sealed samples are in them).
    pub fn chunk_range(&self) -> Option<(i64, i64)> {
        (self.plan.resolution == Resolution::Raw).then_some((self.raw_from, self.plan.to_ms))
    }

    /// The time range of recent rows to read: raw points, or for rollup
    /// plans what is not rolled up yet.
    pub fn recent_range(&self) -> (i64, i64) {
        match self.plan.resolution {
            Resolution::Raw => (self.raw_from, self.plan.to_ms),
            Resolution::Minute | Resolution::Hour => (self.plan.from_ms, self.plan.to_ms),
        }
    }

    /// Whether the plan reads version-1 raw rows (a raw plan, on a store that has them).
    pub fn reads_legacy(&self, legacy: bool) -> bool {
        legacy && self.plan.resolution == Resolution::Raw
    }

    fn add_sample(&mut self, instance: i64, host: &HostInfo, sample: &Sample) {
        let (from, to) = self.recent_range();
        if sample.timestamp_ms < from || sample.timestamp_ms >= to || !self.seen.insert((instance, sample.seq)) {
            return;
        }
        let all = metrics::values(sample, host);
        let values = self.wanted.iter().map(|&i| all[i]).collect();
        self.points.push(Point { ts: sample.timestamp_ms, weight: 1.0, values });
    }

    /// A chunk of `instance` (whose machine has `cpu_cores`).
    pub fn add_chunk(&mut self, instance: i64, cpu_cores: u32, body: &[u8]) -> Result<(), ChunkError> {
        let host = HostInfo { cpu_cores, ..HostInfo::default() };
        for s in chunk::decode_part(body, chunk::Part::Summary)? {
            self.add_sample(instance, &host, &s);
        }
        Ok(())
    }

    /// A recent row of `instance`.
    pub fn add_recent(&mut self, instance: i64, cpu_cores: u32, body: &[u8]) -> Result<(), StoreError> {
        let host = HostInfo { cpu_cores, ..HostInfo::default() };
        let sample = from_recent_body(body)?;
        self.add_sample(instance, &host, &sample);
        Ok(())
    }

    /// Rows read as points already (stored rollups, version-1 rows).
    pub fn add_points(&mut self, points: impl IntoIterator<Item = Point>) {
        self.points.extend(points);
    }

    /// The answer: raw points (bucketed when the plan says), or rollup
    /// rows and unsealed samples combined per native bucket.
    pub fn finish(self) -> Points {
        let limit = self.plan.limit.max(0) as usize;
        let width = match self.plan.resolution {
            Resolution::Raw => self.plan.bucket_ms,
            resolution => Some(self.plan.bucket_ms.unwrap_or(resolution.native_ms())),
        };
        rollup::combine(self.points, width, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::history::plan;

    fn sample(seq: u64, ts: i64, cpu: f64) -> Sample {
        let mut s = Sample { seq, timestamp_ms: ts, ..Sample::default() };
        s.cpu.total_percent = cpu;
        s
    }

    #[test]
    fn sealing_drops_what_chunks_hold_and_rolls_up_the_rest() {
        let samples: Vec<Sample> = (1..=10).map(|i| sample(i, i as i64 * 1000, i as f64)).collect();
        let mut held = HashSet::new();
        let gappy = chunk::encode(&[sample(2, 2000, 2.0), sample(4, 4000, 4.0)]).expect("encode");
        add_held(&mut held, 2, 4, 2, &gappy).expect("held");
        assert_eq!(held, HashSet::from([2, 4]), "a chunk with a gap is read, not assumed whole");
        add_held(&mut held, 9, 10, 2, &[]).expect("held");
        let mut rollups = Rollups::default();
        let (rows, done) = seal_instance("m", 2, samples, &held, &mut rollups).expect("seal");
        assert_eq!(done, Sealed { chunks: 1, samples: 6, duplicates: 4 });
        assert_eq!((rows[0].seq_first, rows[0].seq_last, rows[0].samples), (1, 8, 6));
        assert_eq!((rows[0].ts_first, rows[0].ts_last), (1000, 8000));
        let seqs: Vec<u64> = chunk::decode(&rows[0].body).expect("decode").iter().map(|s| s.seq).collect();
        assert_eq!(seqs, vec![1, 3, 5, 6, 7, 8]);
        let merged: Vec<_> = rollup_rows(&rollups).collect();
        assert_eq!(merged.len(), 2, "one minute, one hour");
        let cpu = 2 * METRICS.iter().position(|m| m.name == "cpu_percent").expect("cpu");
        let (table, machine, ts, count, values) = &merged[0];
        assert_eq!((*table, *machine, *ts, *count), ("samples_1m", "m", 0, 6));
        assert!((values[cpu] - 5.0).abs() < 1e-9, "avg of 1,3,5,6,7,8");
        assert_eq!(values[cpu + 1], 8.0, "max");
    }

    #[test]
    fn long_runs_split_into_bounded_chunks() {
        let samples: Vec<Sample> = (1..=chunk::MAX_SAMPLES as u64 + 5).map(|i| sample(i, i as i64, 1.0)).collect();
        let rows = chunk_rows(&samples).expect("rows");
        assert_eq!(rows.iter().map(|r| r.samples).collect::<Vec<_>>(), vec![chunk::MAX_SAMPLES as i64, 5]);
        assert_eq!(rows[1].seq_first, chunk::MAX_SAMPLES as i64 + 1);
        assert_eq!(seq_range(&samples), Some((1, chunk::MAX_SAMPLES as i64 + 5)));
        assert_eq!(seq_range(&[]), None);
    }

    #[test]
    fn gathering_shows_each_sample_once_within_range_and_horizon() {
        let raw = plan(Some("cpu_percent"), Some("10000"), Some("20000"), Some("raw"), None).expect("plan");
        let mut g = Gather::new(&raw, 12_000);
        assert_eq!(g.chunk_range(), Some((12_000, 20_000)));
        let body =
            chunk::encode(&(9..=21).map(|i| sample(i, i as i64 * 1000, i as f64)).collect::<Vec<_>>()).expect("encode");
        g.add_chunk(1, 1, &body).expect("chunk");
        g.add_recent(1, 1, &recent_body(&sample(15, 15_000, 99.0))).expect("recent");
        g.add_recent(2, 1, &recent_body(&sample(15, 15_500, 50.0))).expect("another instance");
        let points = g.finish();
        let times: Vec<i64> = points.iter().map(|p| p.0).collect();
        assert_eq!(times, vec![12_000, 13_000, 14_000, 15_000, 15_500, 16_000, 17_000, 18_000, 19_000]);
        assert_eq!(points[3].1, vec![Some(15.0)], "the chunk's copy came first");

        let minutes = plan(Some("cpu_percent"), Some("0"), Some("120000"), Some("1m"), None).expect("plan");
        let mut g = Gather::new(&minutes, 0);
        assert_eq!(g.chunk_range(), None, "rollup plans read rollups, not chunks");
        g.add_points([Point { ts: 0, weight: 3.0, values: vec![10.0] }]);
        g.add_recent(1, 1, &recent_body(&sample(4, 30_000, 50.0))).expect("recent");
        assert_eq!(g.finish(), vec![(0, vec![Some(20.0)])], "weighted with the unsealed sample");
    }

    #[test]
    fn state_tracks_keys_and_pending() {
        let id = ("m".to_owned(), "i".to_owned());
        let state = ChunkState::new(HashMap::from([(id.clone(), 7)]), [(7, 1000)], Duration::from_secs(10), false);
        let other = ("m".to_owned(), "j".to_owned());
        let update = |(m, i): &InstanceId, cores: u32| {
            let host = Arc::new(HostInfo { cpu_cores: cores, ..HostInfo::default() });
            let summary = sysmonstm_protocol::model::MachineSummary::new(
                m,
                &host,
                &Sample::default(),
                sysmonstm_protocol::model::MachineStatus::Online,
                0,
            );
            MachineUpdate::new(summary, i.as_str().into(), host, Arc::new(Sample::default()))
        };
        let batch = [update(&id, 4), update(&other, 2), update(&other, 2)];
        let wanted = state.batch_keys(&batch);
        assert_eq!(wanted, BatchKeys { keys: vec![Some(7), None, None], missing: vec![(other.clone(), 2)] });
        assert!(wanted.resolve(&batch, &KeyMap::new()).is_err(), "a key left unmade is an error");
        let made = HashMap::from([(other.clone(), 8)]);
        assert_eq!(state.batch_keys(&batch).resolve(&batch, &made).expect("resolved"), vec![7, 8, 8]);
        state.committed(made, [(8, 5000)]);
        assert!(state.batch_keys(&batch).missing.is_empty());
        assert_eq!(state.pending_instances(), 2);
        assert_eq!(state.older_than(2000), vec![7]);
        state.left(vec![(7, None)]);
        state.found([(9, 1)]);
        let mut pending = state.older_than(10_000);
        pending.sort_unstable();
        assert_eq!(pending, vec![8, 9]);
        state.set_raw_horizon(100);
        state.set_raw_horizon(50);
        assert_eq!(state.raw_horizon(), 100, "the horizon only moves forward");
    }
}
