//! The agent's outbox, which the sampler fills and the stream client
//! drains: the unacked buffer and a wake-up for new samples.

use std::sync::{Mutex, MutexGuard};

use sysmonstm_protocol::model::Sample;
use tokio::sync::Notify;

use crate::buffer::UnackedBuffer;

pub struct Outbox {
    buffer: Mutex<UnackedBuffer>,
    /// Signalled after each new sample.
    pub new_sample: Notify,
}

impl Outbox {
    pub fn new(capacity: usize) -> Self {
        Outbox { buffer: Mutex::new(UnackedBuffer::new(capacity)), new_sample: Notify::new() }
    }

    fn buffer(&self) -> MutexGuard<'_, UnackedBuffer> {
        // A panic while holding the lock cannot leave the buffer half-changed
        // (each method is one VecDeque operation), so a poisoned lock is usable.
        self.buffer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a sample and wakes the client; returns whether the oldest was dropped.
    pub fn push(&self, sample: Sample) -> bool {
        let dropped = self.buffer().push(sample);
        self.new_sample.notify_one();
        dropped
    }

    pub fn ack(&self, seq: u64) {
        self.buffer().ack(seq);
    }

    /// The first held sample with seq >= `from`.
    pub fn next_from(&self, from: u64) -> Option<Sample> {
        self.buffer().from_seq(from, 1).pop()
    }

    pub fn dropped(&self) -> u64 {
        self.buffer().dropped()
    }

    pub fn len(&self) -> usize {
        self.buffer().len()
    }

    pub fn is_empty(&self) -> bool {
        self.buffer().is_empty()
    }
}
