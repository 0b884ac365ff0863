//! Where a series is heading: the values of the last `window` kept as
//! [`BUCKETS`] averages, and the least-squares line through them, to say
//! when the series reaches a level ("disk full in 5 h"). Pure: times are
//! passed in (ms).

use std::collections::VecDeque;
use std::time::Duration;

/// How many averages a window is kept as (memory stays the same for a
/// 6-hour window and a 2-minute one).
pub const BUCKETS: i64 = 60;
/// Fewest averages a prediction needs.
pub const MIN_BUCKETS: usize = 10;

#[derive(Debug, Clone)]
struct Bucket {
    /// Which bucket (start ms / bucket length).
    index: i64,
    sum: f64,
    count: u32,
}

/// The recent values of one series.
#[derive(Debug, Clone)]
pub struct Trend {
    bucket_ms: i64,
    window_ms: i64,
    buckets: VecDeque<Bucket>,
}

impl Trend {
    pub fn new(window: Duration) -> Trend {
        let window_ms = (window.as_millis() as i64).max(BUCKETS);
        Trend { bucket_ms: (window_ms / BUCKETS).max(1), window_ms, buckets: VecDeque::new() }
    }

    /// Adds a value taken at `at`; forgets what is older than the window.
    pub fn push(&mut self, at: i64, value: f64) {
        if !value.is_finite() {
            return;
        }
        let index = at.div_euclid(self.bucket_ms);
        match self.buckets.back_mut() {
            Some(last) if last.index == index => {
                last.sum += value;
                last.count += 1;
            }
            Some(last) if last.index > index => {} // out of order: dropped
            _ => self.buckets.push_back(Bucket { index, sum: value, count: 1 }),
        }
        let oldest = (at - self.window_ms).div_euclid(self.bucket_ms);
        while self.buckets.front().is_some_and(|b| b.index < oldest) {
            self.buckets.pop_front();
        }
    }

    /// The line through the averages: (slope per ms, value at `now`), once
    /// there are enough of them spanning a quarter of the window.
    pub fn line(&self, now: i64) -> Option<(f64, f64)> {
        if self.buckets.len() < MIN_BUCKETS {
            return None;
        }
        let (first, last) = (self.buckets.front()?.index, self.buckets.back()?.index);
        if (last - first + 1) * self.bucket_ms < self.window_ms / 4 {
            return None;
        }
        // Centred on the bucket midpoints, relative to now (no large numbers).
        let points: Vec<(f64, f64)> = self
            .buckets
            .iter()
            .map(|b| (((b.index * self.bucket_ms + self.bucket_ms / 2) - now) as f64, b.sum / f64::from(b.count)))
            .collect();
        let n = points.len() as f64;
        let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
        let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
        if sxx == 0.0 {
            return None;
        }
        let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let slope = sxy / sxx;
        Some((slope, my - slope * mx))
    }

    /// How long from `now` until the line reaches `level` (None: it does
    /// not rise toward it, or too little is known). At or past the level: 0.
    pub fn time_to(&self, level: f64, now: i64) -> Option<Duration> {
        let (slope, at_now) = self.line(now)?;
        if at_now >= level {
            return Some(Duration::ZERO);
        }
        if slope <= 0.0 {
            return None;
        }
        let ms = (level - at_now) / slope;
        (ms.is_finite() && ms < 1e15).then(|| Duration::from_millis(ms as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn a_steady_rise_is_projected_to_its_level() {
        // 1 % per 10 minutes, sampled every minute for 3 hours of a 6-hour window.
        let mut trend = Trend::new(Duration::from_secs(6 * 3600));
        for m in 0..=180 {
            trend.push(m * MIN, 50.0 + m as f64 / 10.0);
        }
        let now = 180 * MIN; // at 68 %: 32 % to go at 0.1 %/min = 320 min
        let left = trend.time_to(100.0, now).expect("rising");
        assert!((left.as_secs() as i64 - 320 * 60).abs() < 120, "{left:?}");
        assert_eq!(trend.time_to(60.0, now), Some(Duration::ZERO), "past the level");
    }

    #[test]
    fn flat_falling_or_too_short_series_predict_nothing() {
        let mut flat = Trend::new(Duration::from_secs(3600));
        let mut falling = Trend::new(Duration::from_secs(3600));
        for m in 0..60 {
            flat.push(m * MIN, 70.0);
            falling.push(m * MIN, 90.0 - m as f64 / 10.0);
        }
        assert_eq!(flat.time_to(100.0, 59 * MIN), None);
        assert_eq!(falling.time_to(100.0, 59 * MIN), None);
        let mut short = Trend::new(Duration::from_secs(6 * 3600));
        for m in 0..30 {
            short.push(m * MIN, m as f64); // half an hour of a 6-hour window
        }
        assert_eq!(short.time_to(100.0, 29 * MIN), None, "not a quarter of the window yet");
    }

    #[test]
    fn old_values_leave_the_window() {
        let mut trend = Trend::new(Duration::from_secs(3600));
        // Rising for an hour, then flat for an hour: the window sees only the flat part.
        for m in 0..60 {
            trend.push(m * MIN, m as f64);
        }
        for m in 60..120 {
            trend.push(m * MIN, 60.0);
        }
        // (At most the edge of the rise is left: weeks away, not 40 minutes.)
        let left = trend.time_to(100.0, 119 * MIN);
        assert!(left.is_none_or(|d| d > Duration::from_secs(7 * 86_400)), "{left:?}");
        assert!(trend.buckets.len() <= BUCKETS as usize + 1);
    }
}
