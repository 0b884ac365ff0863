//! A machine's live-chart points, from its samples: the 5-minute ring
//! itself is the viewer side's (`sysmonstm_viewer::ring`, shared with the
//! relay); this is what the hub puts in it.

use sysmonstm_protocol::model::Sample;
pub use sysmonstm_viewer::ring::{ChartPoint, ChartRing, RECENT_WINDOW};

/// The chart point of one sample: its time, CPU and memory, and seq.
pub fn chart_point(sample: &Sample) -> ChartPoint {
    ChartPoint::new(sample.timestamp_ms, sample.cpu.total_percent, sample.memory.percent, sample.seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_its_time_cpu_memory_and_seq() {
        let mut sample = Sample { timestamp_ms: 1_000, seq: 7, ..Sample::default() };
        sample.cpu.total_percent = 12.5;
        sample.memory.percent = 40.0;
        assert_eq!(chart_point(&sample), ChartPoint::new(1_000, 12.5, 40.0, 7));
    }
}
