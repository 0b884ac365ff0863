//! What every request handler of the relay shares: the fleet, the viewers'
//! broadcast and counters.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytestring::ByteString;
use slog::Logger;
use tokio::sync::broadcast;

use crate::fleet::{FleetState, FrameError};

/// Frames a viewer may fall behind by before it is dropped.
pub const VIEWER_BACKLOG: usize = 256;

pub struct Relay {
    fleet: Mutex<FleetState>,
    /// Frames for viewers, each encoded once; cloning shares the bytes.
    frames: broadcast::Sender<ByteString>,
    pub api_key: String,
    pub max_viewers: usize,
    pub viewers: AtomicUsize,
    pub hubs: AtomicUsize,
    pub frames_in: AtomicU64,
    pub frames_refused: AtomicU64,
    pub viewers_dropped: AtomicU64,
    pub log: Logger,
}

impl Relay {
    pub fn new(api_key: String, max_viewers: usize, log: Logger) -> Self {
        Relay {
            fleet: Mutex::new(FleetState::default()),
            frames: broadcast::channel(VIEWER_BACKLOG).0,
            api_key,
            max_viewers,
            viewers: AtomicUsize::new(0),
            hubs: AtomicUsize::new(0),
            frames_in: AtomicU64::new(0),
            frames_refused: AtomicU64::new(0),
            viewers_dropped: AtomicU64::new(0),
            log,
        }
    }

    fn with_fleet<T>(&self, f: impl FnOnce(&mut FleetState) -> T) -> T {
        // A panic elsewhere cannot leave the fleet half-updated: apply is all or nothing.
        let mut fleet = self.fleet.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut fleet)
    }

    /// Applies a frame from a hub and passes on what changed to every viewer.
    pub fn ingest(&self, text: &str) -> Result<(), FrameError> {
        self.frames_in.fetch_add(1, Ordering::Relaxed);
        let out = self.with_fleet(|fleet| fleet.apply(text)).inspect_err(|_| {
            self.frames_refused.fetch_add(1, Ordering::Relaxed);
        })?;
        if let Some(frame) = out {
            // No receiver is not an error: nobody is watching.
            let _ = self.frames.send(ByteString::from(frame));
        }
        Ok(())
    }

    /// A new viewer's snapshot and its subscription, taken together so that
    /// nothing falls in between.
    pub fn watch(&self) -> (String, broadcast::Receiver<ByteString>) {
        self.with_fleet(|fleet| (fleet.snapshot_frame(), self.frames.subscribe()))
    }

    pub fn machines_json(&self) -> String {
        self.with_fleet(|fleet| fleet.list_json())
    }

    pub fn machine_count(&self) -> usize {
        self.with_fleet(|fleet| fleet.len())
    }
}

/// One counted connection (viewer or hub); uncounted when dropped.
pub struct Slot {
    relay: Arc<Relay>,
    counter: fn(&Relay) -> &AtomicUsize,
}

impl Slot {
    /// Counts a connection in `counter` if fewer than `limit` are counted.
    pub fn reserve(relay: Arc<Relay>, counter: fn(&Relay) -> &AtomicUsize, limit: usize) -> Option<Slot> {
        counter(&relay).fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1)).ok()?;
        Some(Slot { relay, counter })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        (self.counter)(&self.relay).fetch_sub(1, Ordering::AcqRel);
    }
}
