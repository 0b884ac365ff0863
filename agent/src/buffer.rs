//! The unacked-sample buffer: every sample stays here until the hub acks it.
//!
//! Bounded: when full, the oldest sample is dropped and counted, so an agent
//! cut off from its hub for longer than the buffer holds keeps the newest data.

use std::collections::VecDeque;

use sysmonstm_protocol::model::Sample;

/// Samples in seq order, oldest first.
#[derive(Debug)]
pub struct UnackedBuffer {
    samples: VecDeque<Sample>,
    capacity: usize,
    /// Samples dropped because the buffer was full, since the agent started.
    dropped: u64,
}

impl UnackedBuffer {
    /// A buffer holding at most `capacity` samples (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        UnackedBuffer { samples: VecDeque::with_capacity(capacity.min(4096)), capacity, dropped: 0 }
    }

    /// Adds the newest sample, dropping the oldest when full. Returns whether one was dropped.
    pub fn push(&mut self, sample: Sample) -> bool {
        let dropped = self.samples.len() >= self.capacity;
        if dropped {
            self.samples.pop_front();
            self.dropped += 1;
        }
        self.samples.push_back(sample);
        dropped
    }

    /// Forgets every sample with seq <= `seq` (cumulative ack).
    pub fn ack(&mut self, seq: u64) {
        while self.samples.front().is_some_and(|s| s.seq <= seq) {
            self.samples.pop_front();
        }
    }

    /// Copies of the samples with seq >= `from`, oldest first, at most `limit`.
    pub fn from_seq(&self, from: u64, limit: usize) -> Vec<Sample> {
        let start = self.samples.partition_point(|s| s.seq < from);
        self.samples.range(start..).take(limit).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Seq of the oldest sample held.
    pub fn oldest_seq(&self) -> Option<u64> {
        self.samples.front().map(|s| s.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seq: u64) -> Sample {
        Sample { seq, ..Sample::default() }
    }

    fn seqs(samples: &[Sample]) -> Vec<u64> {
        samples.iter().map(|s| s.seq).collect()
    }

    #[test]
    fn keeps_until_acked() {
        let mut buffer = UnackedBuffer::new(10);
        for seq in 1..=5 {
            buffer.push(sample(seq));
        }
        buffer.ack(3);
        assert_eq!(seqs(&buffer.from_seq(0, 100)), vec![4, 5]);
        buffer.ack(2); // an older ack changes nothing
        assert_eq!(buffer.len(), 2);
        buffer.ack(5);
        assert!(buffer.is_empty());
    }

    #[test]
    fn drops_oldest_when_full_and_counts() {
        let mut buffer = UnackedBuffer::new(3);
        let dropped: Vec<bool> = (1..=5).map(|seq| buffer.push(sample(seq))).collect();
        assert_eq!(dropped, vec![false, false, false, true, true]);
        assert_eq!(buffer.dropped(), 2);
        assert_eq!(seqs(&buffer.from_seq(0, 100)), vec![3, 4, 5]);
        assert_eq!(buffer.oldest_seq(), Some(3));
    }

    #[test]
    fn resends_from_a_seq_with_limit() {
        let mut buffer = UnackedBuffer::new(100);
        for seq in 1..=10 {
            buffer.push(sample(seq));
        }
        assert_eq!(seqs(&buffer.from_seq(7, 100)), vec![7, 8, 9, 10]);
        assert_eq!(seqs(&buffer.from_seq(2, 3)), vec![2, 3, 4]);
        assert!(buffer.from_seq(11, 100).is_empty());
    }

    #[test]
    fn zero_capacity_still_holds_one() {
        let mut buffer = UnackedBuffer::new(0);
        buffer.push(sample(1));
        buffer.push(sample(2));
        assert_eq!(seqs(&buffer.from_seq(0, 10)), vec![2]);
    }
}
