//! `StorageWriter`: batches every published sample into the store.
//!
//! Batches flush when [`BATCH_MAX`] rows wait or when the lane's pause since
//! its last write has passed ([`flush_gap`]: [`FLUSH_MIN`] on a light load,
//! growing with the time writes take up to [`FLUSH_MAX`], so a busy store
//! writes fewer, larger transactions), on [`WRITE_LANES`] lanes that write
//! concurrently (a machine stays on one).
//! After a commit it reports [`Persisted`] per agent instance, which is what
//! lets sessions ack. When the store fails it keeps the batch, retries with
//! backoff and marks the store unhealthy (`/ready` answers 503); it never
//! drops a row. Its backlog is shared with the gRPC side, which stops reading
//! agents' streams past [`MAX_BACKLOG`] rows, so agents hold the data.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_broker::BrokerSubscribe;
use slog::{info, warn, Logger};
use sysmonstm_protocol::backoff::Backoff;

use crate::events::{MachineRemoved, MachineUpdate, MetricsReceived, Persisted};
use crate::store::seal::SEAL_TICK;
use crate::store::status::StoreStatus;
use crate::store::{Batch, Retention, Store, StoreError};

/// Most rows one transaction writes (5 s of 10,000 agents).
pub const BATCH_MAX: usize = 50_000;
/// Batches written at once (machines are spread over lanes; see `Lane`).
/// Two let PostgreSQL use two backends: measured +40 % rows/s (BENCHMARKS.md).
pub const WRITE_LANES: usize = 2;
/// Shortest pause between a lane's writes: how long a row waits on a light load.
pub const FLUSH_MIN: Duration = Duration::from_millis(250);
/// Longest pause between a lane's writes, however long writes take.
pub const FLUSH_MAX: Duration = Duration::from_secs(5);
/// A lane pauses this many times as long as its last write took, so
/// writing takes about a ninth of the time whatever the load. Each
/// transaction costs about one page per index per machine (SQLite) or a
/// round trip (PostgreSQL) whatever its size: at 10,000 agents, 50,000-row
/// batches take 30 % less CPU per row than 5,000-row ones (BENCHMARKS.md).
pub const FLUSH_GAP_FACTOR: u32 = 8;
/// How often the writer looks for lanes due to write.
const FLUSH_TICK: Duration = Duration::from_millis(50);
/// Rows waiting past which the hub stops reading agents' streams.
pub const MAX_BACKLOG: usize = 100_000;
/// Retry delays after a failed write: doubling from the first to the last.
pub const RETRY_FIRST: Duration = Duration::from_millis(250);
pub const RETRY_MAX: Duration = Duration::from_secs(10);
/// How often the writer converts version-1 rows after an upgrade, and for
/// how long at most each time: a bounded share of the store's time, so
/// batch writes (and acks) go on meanwhile.
pub const CONVERT_TICK: Duration = Duration::from_secs(1);
pub const CONVERT_BUDGET: Duration = Duration::from_millis(250);
/// How often conversion progress is logged.
pub const CONVERT_PROGRESS: Duration = Duration::from_secs(10);
/// How soon a removed machine is looked at again while its lane is writing.
const FORGET_WAIT: Duration = Duration::from_millis(20);

/// How often the store's size is measured, besides at start and after
/// space was freed (per-table sizes less often: see the stores).
pub const USAGE_INTERVAL: Duration = Duration::from_secs(60);

pub struct StorageWriter {
    store: Arc<dyn Store>,
    /// Who hears what was committed (the registry, which tells the sessions).
    persisted: Recipient<Persisted>,
    status: Arc<StoreStatus>,
    retention: Retention,
    maintenance_interval: Duration,
    log: Logger,
    lanes: Vec<Lane>,
    /// A sealing run is under way (ticks do not stack up behind a slow one).
    sealing: bool,
    /// Converting version-1 rows: a run is under way, and how far it got.
    conversion: Conversion,
}

/// Background conversion of version-1 rows into chunks.
#[derive(Debug, Default)]
struct Conversion {
    running: bool,
    done: bool,
    rows: u64,
    started: Option<Instant>,
    logged: Option<Instant>,
}

/// One ordered stream of batches. A machine always maps to the same lane,
/// so its samples commit in order and its cumulative acks stay correct
/// while lanes write concurrently.
struct Lane {
    pending: Vec<Arc<MachineUpdate>>,
    writing: bool,
    /// Delays between retries of a failing write.
    retry: Backoff,
    /// When the lane may write again (unless [`BATCH_MAX`] rows wait).
    due: Instant,
}

/// The pause after a write that took `took`, before the lane's next one.
pub fn flush_gap(took: Duration) -> Duration {
    took.saturating_mul(FLUSH_GAP_FACTOR).clamp(FLUSH_MIN, FLUSH_MAX)
}

/// The lane of a machine.
fn lane_of(machine_id: &str, lanes: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    machine_id.hash(&mut hasher);
    (hasher.finish() % lanes.max(1) as u64) as usize
}

impl StorageWriter {
    pub fn new(
        store: Arc<dyn Store>,
        persisted: Recipient<Persisted>,
        status: Arc<StoreStatus>,
        retention: Retention,
        maintenance_interval: Duration,
        log: Logger,
    ) -> Self {
        StorageWriter {
            store,
            persisted,
            status,
            retention,
            maintenance_interval,
            log,
            lanes: (0..WRITE_LANES)
                .map(|_| Lane {
                    pending: Vec::new(),
                    writing: false,
                    retry: Backoff::new(RETRY_FIRST, RETRY_MAX),
                    due: Instant::now(),
                })
                .collect(),
            sealing: false,
            conversion: Conversion::default(),
        }
    }

    /// Converts version-1 rows for up to [`CONVERT_BUDGET`], unless done or a run is going.
    fn convert(&mut self, ctx: &mut Context<Self>) {
        if self.conversion.running || self.conversion.done {
            return;
        }
        self.conversion.running = true;
        let store = self.store.clone();
        async move {
            let started = Instant::now();
            let mut rows = 0;
            while started.elapsed() < CONVERT_BUDGET {
                match store.convert_legacy().await {
                    Ok(0) => return Ok((rows, true)),
                    Ok(n) => rows += n as u64,
                    Err(e) => return Err((rows, e)),
                }
            }
            Ok((rows, false))
        }
        .into_actor(self)
        .map(|result, writer, _| writer.converted(result))
        .spawn(ctx);
    }

    /// Progress of a conversion run, logged now and then.
    fn converted(&mut self, result: Result<(u64, bool), (u64, StoreError)>) {
        let c = &mut self.conversion;
        c.running = false;
        let (rows, done) = match result {
            Ok(progress) => progress,
            Err((rows, e)) => {
                warn!(self.log, "converting version-1 history into chunks failed; will retry"; "error" => %e);
                (rows, false)
            }
        };
        if rows > 0 && c.started.is_none() {
            info!(self.log, "converting version-1 history into chunks in the background");
            c.started = Some(Instant::now());
        }
        c.rows += rows;
        let left = self.status.usage().map(|u| u.version1_rows.saturating_sub(c.rows));
        if done {
            c.done = true;
            if let Some(started) = c.started {
                info!(self.log, "version-1 history converted into chunks";
                    "samples" => c.rows, "took_secs" => started.elapsed().as_secs());
                let (store, status, log) = (self.store.clone(), self.status.clone(), self.log.clone());
                actix::spawn(measure_usage(store, status, self.retention, log));
            }
        } else if rows > 0 && c.logged.is_none_or(|t| t.elapsed() >= CONVERT_PROGRESS) {
            info!(self.log, "converting version-1 history"; "samples_converted" => c.rows,
                "samples_left" => left.map_or("?".to_owned(), |n| n.to_string()));
            c.logged = Some(Instant::now());
        }
    }

    /// Seals what is due, unless a run is still going.
    fn seal(&mut self, ctx: &mut Context<Self>) {
        if self.sealing {
            return;
        }
        self.sealing = true;
        let store = self.store.clone();
        async move { store.seal(crate::now_ms()).await }
            .into_actor(self)
            .map(|result, writer, _| {
                writer.sealing = false;
                match result {
                    Ok(samples) => {
                        writer.status.sealed.fetch_add(samples as u64, Ordering::Relaxed);
                    }
                    Err(e) => warn!(writer.log, "sealing history into chunks failed; will retry"; "error" => %e),
                }
            })
            .spawn(ctx);
    }

    fn flush_due(&mut self, ctx: &mut Context<Self>) {
        let now = Instant::now();
        for lane in 0..self.lanes.len() {
            if self.lanes[lane].due <= now {
                self.flush(lane, ctx);
            }
        }
    }

    fn flush(&mut self, index: usize, ctx: &mut Context<Self>) {
        let lane = &mut self.lanes[index];
        if lane.writing || lane.pending.is_empty() {
            return;
        }
        lane.writing = true;
        let take = lane.pending.len().min(BATCH_MAX);
        let batch: Arc<Batch> = Arc::new(lane.pending.drain(..take).collect());
        let store = self.store.clone();
        let written = batch.clone();
        let began = Instant::now();
        async move { store.write(written).await }
            .into_actor(self)
            .map(move |result, writer, ctx| {
                let took = began.elapsed();
                writer.lanes[index].writing = false;
                writer.lanes[index].due = began + flush_gap(took);
                match result {
                    Ok(()) => {
                        writer.status.batches.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut total) = writer.status.batch_seconds_total.lock() {
                            *total += took.as_secs_f64();
                        }
                        writer.lanes[index].retry.reset();
                        writer.committed(&batch);
                    }
                    Err(e) => {
                        if writer.status.health.fail(e.to_string()) {
                            warn!(writer.log, "store write failed; holding the batch and retrying"; "error" => %e,
                                "rows" => batch.len());
                        }
                        // Put the batch back in front, in order.
                        let lane = &mut writer.lanes[index];
                        let rest = std::mem::take(&mut lane.pending);
                        lane.pending = batch.iter().cloned().chain(rest).collect();
                        lane.due = Instant::now() + lane.retry.next_delay();
                        return;
                    }
                }
                if writer.lanes[index].pending.len() >= BATCH_MAX {
                    writer.flush(index, ctx);
                }
            })
            .spawn(ctx);
    }

    fn committed(&mut self, batch: &Batch) {
        if self.status.health.recover() {
            info!(self.log, "store writes recovered"; "store" => self.store.describe());
        }
        self.status.backlog.fetch_sub(batch.len(), Ordering::Relaxed);
        self.status.stored.fetch_add(batch.len() as u64, Ordering::Relaxed);
        let mut highest: HashMap<(&str, &Arc<str>), u64> = HashMap::new();
        for update in batch {
            let seq = highest.entry((update.machine_id(), &update.instance_id)).or_insert(0);
            *seq = (*seq).max(update.latest.seq);
        }
        for ((machine_id, instance_id), seq) in highest {
            self.persisted.do_send(Persisted {
                machine_id: machine_id.to_owned(),
                instance_id: instance_id.clone(),
                seq,
            });
        }
    }

    /// Sealing, retention and `--max-disk`, as a future the actor runs;
    /// the size is measured again when space was freed.
    fn maintenance(&self) -> impl Future<Output = ()> + 'static {
        let (store, retention, log, status) =
            (self.store.clone(), self.retention, self.log.clone(), self.status.clone());
        async move {
            match store.maintain(crate::now_ms(), retention).await {
                Ok(freed) if freed.any() => {
                    status.dropped(&freed);
                    info!(log, "freed space to stay under --max-disk, oldest data first";
                        "raw_chunks" => freed.raw_chunks, "raw_v1_rows" => freed.raw_rows,
                        "minute_rows" => freed.minute_rows, "hour_rows" => freed.hour_rows,
                        "used_before" => %bytesize::ByteSize(freed.before),
                        "used_after" => %bytesize::ByteSize(freed.after),
                        "limit" => %bytesize::ByteSize(retention.max_disk.unwrap_or(0)));
                    measure_usage(store, status, retention, log).await;
                }
                Ok(_) => {}
                Err(e) => warn!(log, "retention failed; will retry"; "error" => %e),
            }
        }
    }
}

/// Measures the store's size into `status`.
async fn measure_usage(store: Arc<dyn Store>, status: Arc<StoreStatus>, retention: Retention, log: Logger) {
    let started = Instant::now();
    match store.usage().await {
        Ok(usage) => {
            let usage = usage.finish(retention.max_disk, crate::now_ms());
            slog::debug!(log, "store size measured"; "bytes" => usage.total_bytes,
                "raw_samples" => usage.raw_samples, "took_ms" => started.elapsed().as_millis() as u64);
            if let Ok(mut slot) = status.usage.lock() {
                *slot = Some(usage);
            }
        }
        Err(e) => warn!(log, "measuring the store's size failed; will retry"; "error" => %e),
    }
}

impl Actor for StorageWriter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe_system_async::<MetricsReceived>(ctx);
        self.subscribe_system_async::<MachineRemoved>(ctx);
        ctx.run_interval(FLUSH_TICK, |writer, ctx| writer.flush_due(ctx));
        ctx.run_interval(SEAL_TICK, |writer, ctx| writer.seal(ctx));
        ctx.run_interval(CONVERT_TICK, |writer, ctx| writer.convert(ctx));
        ctx.run_interval(self.maintenance_interval, |writer, ctx| {
            ctx.spawn(writer.maintenance().into_actor(writer));
        });
        let measure = |writer: &mut Self, ctx: &mut Context<Self>| {
            let (store, status, log) = (writer.store.clone(), writer.status.clone(), writer.log.clone());
            ctx.spawn(measure_usage(store, status, writer.retention, log).into_actor(writer));
        };
        ctx.run_later(Duration::ZERO, measure);
        ctx.run_interval(USAGE_INTERVAL, measure);
    }
}

impl Handler<MetricsReceived> for StorageWriter {
    type Result = ();

    fn handle(&mut self, msg: MetricsReceived, ctx: &mut Context<Self>) {
        let index = lane_of(msg.0.machine_id(), self.lanes.len());
        self.lanes[index].pending.push(msg.0);
        self.status.backlog.fetch_add(1, Ordering::Relaxed);
        // A full batch goes at once, unless the store is failing: then the
        // lane waits out its retry pause.
        if self.lanes[index].pending.len() >= BATCH_MAX && !self.status.health.is_failing() {
            self.flush(index, ctx);
        }
    }
}

impl Handler<MachineRemoved> for StorageWriter {
    type Result = ();

    /// Writes the rows of the machine still waiting when its history is
    /// kept (drops them when it is purged), then forgets it in the store
    /// once its lane is not writing (a batch of it may be committing),
    /// holding the lane meanwhile so nothing of it is written after.
    fn handle(&mut self, msg: MachineRemoved, ctx: &mut Context<Self>) {
        let index = lane_of(&msg.machine_id, self.lanes.len());
        let lane = &mut self.lanes[index];
        let waiting = !msg.purge_history && lane.pending.iter().any(|u| u.machine_id() == msg.machine_id);
        if lane.writing || waiting {
            if !lane.writing {
                self.flush(index, ctx);
            }
            ctx.notify_later(msg, FORGET_WAIT);
            return;
        }
        let before = lane.pending.len();
        lane.pending.retain(|u| u.machine_id() != msg.machine_id);
        self.status.backlog.fetch_sub(before - lane.pending.len(), Ordering::Relaxed);
        lane.writing = true;
        let (store, id, purge) = (self.store.clone(), msg.machine_id.clone(), msg.purge_history);
        async move { store.forget_machine(&id, purge).await }
            .into_actor(self)
            .map(move |result, writer, ctx| {
                let lane = &mut writer.lanes[index];
                lane.writing = false;
                match result {
                    Ok(()) => {
                        info!(writer.log, "machine forgotten in the store"; "machine_id" => &msg.machine_id,
                            "history" => if msg.purge_history { "deleted" } else { "kept" });
                        msg.forgotten.tell(Ok(()));
                    }
                    Err(e) => {
                        warn!(writer.log, "cannot forget a removed machine in the store; retrying";
                            "machine_id" => &msg.machine_id, "error" => %e);
                        msg.forgotten.tell(Err(e.to_string()));
                        let delay = lane.retry.next_delay();
                        ctx.notify_later(msg, delay);
                    }
                }
            })
            .spawn(ctx);
    }
}

/// Runs rollups and retention now (tests, and an operator's future button).
#[derive(Message)]
#[rtype(result = "()")]
pub struct MaintainNow;

impl Handler<MaintainNow> for StorageWriter {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: MaintainNow, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.maintenance().into_actor(self))
    }
}

/// Writes everything pending now (a stopping hub), in batches.
#[derive(Message)]
#[rtype(result = "Result<(), StoreError>")]
pub struct Drain;

impl Handler<Drain> for StorageWriter {
    type Result = ResponseActFuture<Self, Result<(), StoreError>>;

    fn handle(&mut self, _: Drain, _: &mut Context<Self>) -> Self::Result {
        let batches: Vec<Arc<Batch>> = self
            .lanes
            .iter_mut()
            .flat_map(|lane| {
                std::mem::take(&mut lane.pending).chunks(BATCH_MAX).map(|c| Arc::new(c.to_vec())).collect::<Vec<_>>()
            })
            .collect();
        let store = self.store.clone();
        Box::pin(
            async move {
                for batch in batches {
                    store.write(batch).await?;
                }
                store.sync_machines().await
            }
            .into_actor(self),
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_machine_stays_on_one_lane_and_lanes_are_used() {
        let lanes: Vec<usize> = (0..100).map(|i| super::lane_of(&format!("m{i}"), 2)).collect();
        assert!(lanes.iter().all(|&l| l < 2));
        assert!(lanes.contains(&0) && lanes.contains(&1));
        assert_eq!(super::lane_of("web-1", 2), super::lane_of("web-1", 2));
        assert_eq!(super::lane_of("web-1", 1), 0);
    }

    #[test]
    fn writes_pause_longer_as_they_take_longer() {
        use super::{flush_gap, FLUSH_GAP_FACTOR, FLUSH_MAX, FLUSH_MIN};
        use std::time::Duration;
        // Quick writes (a small fleet): rows wait at most the minimum.
        assert_eq!(flush_gap(Duration::ZERO), FLUSH_MIN);
        assert_eq!(flush_gap(Duration::from_millis(3)), FLUSH_MIN);
        // Slower writes: the pause grows in proportion.
        let took = Duration::from_millis(100);
        assert_eq!(flush_gap(took), took * FLUSH_GAP_FACTOR);
        assert!(flush_gap(Duration::from_millis(200)) > flush_gap(took));
        // Never longer than the maximum, even for a stalled store.
        assert_eq!(flush_gap(Duration::from_secs(2)), FLUSH_MAX);
        assert_eq!(flush_gap(Duration::MAX), FLUSH_MAX);
    }
}
