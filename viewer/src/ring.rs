//! The live-chart ring: the last [`RECENT_WINDOW`] of a machine's CPU and
//! memory, kept by the hub for each machine and by the relay for each
//! machine it shows, so a new viewer sees charts at once.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

/// How far back the ring reaches.
pub const RECENT_WINDOW: Duration = Duration::from_secs(300);
/// Upper bound on entries, whatever the interval (ten a second for five minutes).
pub const RECENT_MAX_POINTS: usize = 3000;

/// One point, serialised `[sample_ts_ms, cpu %, memory %, seq]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChartPoint(pub i64, pub f64, pub f64, pub u64);

impl ChartPoint {
    pub const fn new(ts_ms: i64, cpu: f64, memory: f64, seq: u64) -> Self {
        ChartPoint(ts_ms, cpu, memory, seq)
    }

    pub fn ts_ms(&self) -> i64 {
        self.0
    }

    pub fn seq(&self) -> u64 {
        self.3
    }
}

#[derive(Debug, Default, Clone)]
pub struct ChartRing {
    points: VecDeque<ChartPoint>,
}

impl ChartRing {
    /// Adds `point`, forgetting points older than the window before it. A
    /// point older than the last one, or the last one again (same time and
    /// seq: the same state re-sent, say with a new status), is ignored.
    pub fn push(&mut self, point: ChartPoint) {
        if self.points.back().is_some_and(|p| p.0 > point.0 || (p.0, p.3) == (point.0, point.3)) {
            return;
        }
        self.points.push_back(point);
        let horizon = point.0 - RECENT_WINDOW.as_millis() as i64;
        while self.points.front().is_some_and(|p| p.0 < horizon) || self.points.len() > RECENT_MAX_POINTS {
            self.points.pop_front();
        }
    }

    pub fn points(&self) -> Vec<ChartPoint> {
        self.points.iter().copied().collect()
    }

    /// The points as one contiguous slice (for a frame).
    pub fn as_slice(&mut self) -> &[ChartPoint] {
        self.points.make_contiguous()
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
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

    fn point(ts: i64, seq: u64) -> ChartPoint {
        ChartPoint::new(ts, seq as f64, 50.0, seq)
    }

    #[test]
    fn keeps_only_the_window() {
        let mut ring = ChartRing::default();
        for seq in 0..400u64 {
            ring.push(point(seq as i64 * 1_000, seq));
        }
        let points = ring.points();
        assert_eq!(points.last().map(ChartPoint::seq), Some(399));
        assert_eq!(points.first().map(ChartPoint::ts_ms), Some(399_000 - RECENT_WINDOW.as_millis() as i64));
        assert_eq!(ring.last_gap(), Some(Duration::from_secs(1)));
    }

    #[test]
    fn keeps_at_most_the_cap_however_fast_points_come() {
        let mut ring = ChartRing::default();
        for seq in 0..(RECENT_MAX_POINTS as u64 + 500) {
            ring.push(point(seq as i64 * 10, seq));
        }
        assert_eq!(ring.len(), RECENT_MAX_POINTS);
        assert_eq!(ring.as_slice().last().map(ChartPoint::seq), Some(RECENT_MAX_POINTS as u64 + 499));
    }

    #[test]
    fn ignores_older_points_and_repeats() {
        let mut ring = ChartRing::default();
        ring.push(point(2_000, 2));
        ring.push(point(1_000, 1));
        ring.push(point(2_000, 2));
        assert_eq!(ring.len(), 1);
        assert_eq!(ring.last_gap(), None);
        // Two samples in the same millisecond are two points.
        ring.push(point(2_000, 3));
        assert_eq!(ring.points().iter().map(ChartPoint::seq).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(ring.last_gap(), Some(Duration::ZERO));
    }

    #[test]
    fn serialises_as_an_array() {
        assert_eq!(serde_json::to_string(&point(5, 2)).expect("json"), "[5,2.0,50.0,2]");
    }
}
