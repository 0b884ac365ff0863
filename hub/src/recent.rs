//! The live-chart ring: the last [`RECENT_WINDOW`] of a machine's CPU and
//! memory, kept by its session (or, for a machine another hub holds, by the
//! registry) so a new viewer sees charts at once.

use std::collections::VecDeque;
use std::time::Duration;

use sysmonstm_protocol::model::Sample;

/// How far back the ring reaches.
pub const RECENT_WINDOW: Duration = Duration::from_secs(300);
/// Upper bound on entries, whatever the interval.
const RECENT_MAX_POINTS: usize = 3000;

/// One point: `[sample_ts_ms, cpu %, memory %, seq]`.
pub type RecentPoint = (i64, f64, f64, u64);

#[derive(Debug, Default, Clone)]
pub struct RecentRing {
    points: VecDeque<RecentPoint>,
}

impl RecentRing {
    /// Adds `sample`, forgetting points older than the window before it.
    /// A sample older than the last point, or the last point again, is
    /// ignored (stale, or the same state re-sent with a new status).
    pub fn push(&mut self, sample: &Sample) {
        if self
            .points
            .back()
            .is_some_and(|p| p.0 > sample.timestamp_ms || (p.0, p.3) == (sample.timestamp_ms, sample.seq))
        {
            return;
        }
        self.points.push_back((sample.timestamp_ms, sample.cpu.total_percent, sample.memory.percent, sample.seq));
        let horizon = sample.timestamp_ms - RECENT_WINDOW.as_millis() as i64;
        while self.points.front().is_some_and(|p| p.0 < horizon) || self.points.len() > RECENT_MAX_POINTS {
            self.points.pop_front();
        }
    }

    pub fn points(&self) -> Vec<RecentPoint> {
        self.points.iter().copied().collect()
    }

    /// Time between the last two points, if there are two.
    pub fn last_gap(&self) -> Option<Duration> {
        let n = self.points.len();
        (n >= 2).then(|| Duration::from_millis((self.points[n - 1].0 - self.points[n - 2].0).max(0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ts: i64, seq: u64) -> Sample {
        let mut s = Sample { timestamp_ms: ts, seq, ..Sample::default() };
        s.cpu.total_percent = seq as f64;
        s
    }

    #[test]
    fn keeps_only_the_window() {
        let mut ring = RecentRing::default();
        let step = 1_000;
        for seq in 0..400u64 {
            ring.push(&sample(seq as i64 * step, seq));
        }
        let points = ring.points();
        assert_eq!(points.last().map(|p| p.3), Some(399));
        assert_eq!(points.first().map(|p| p.0), Some(399_000 - RECENT_WINDOW.as_millis() as i64));
        assert_eq!(ring.last_gap(), Some(Duration::from_secs(1)));
    }

    #[test]
    fn ignores_older_samples_and_repeats() {
        let mut ring = RecentRing::default();
        ring.push(&sample(2_000, 2));
        ring.push(&sample(1_000, 1));
        ring.push(&sample(2_000, 2));
        assert_eq!(ring.points().len(), 1);
        assert_eq!(ring.last_gap(), None);
        // Two samples in the same millisecond are two points.
        ring.push(&sample(2_000, 3));
        assert_eq!(ring.points().iter().map(|p| p.3).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(ring.last_gap(), Some(Duration::ZERO));
    }
}
