//! Retry delays, one definition for every retry loop of the project: the
//! agent reconnecting to its hub, the hub's storage writer, Redis bridge,
//! relay link and webhook deliveries.
//!
//! Attempt n waits `min(max, first * 2^n)`; with full jitter, a uniformly
//! random time in `[0, that]`, so a fleet of agents that lost the same hub
//! does not come back in lockstep.

use std::time::Duration;

/// Doubling delays from `first` up to `max`, optionally jittered.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    jitter: bool,
    attempt: u32,
}

impl Backoff {
    /// `first`, `2 * first`, … up to `max`, exactly.
    pub const fn new(first: Duration, max: Duration) -> Self {
        Backoff { first, max, jitter: false, attempt: 0 }
    }

    /// The same ceilings, each delay drawn uniformly below its ceiling.
    pub const fn with_full_jitter(mut self) -> Self {
        self.jitter = true;
        self
    }

    /// The upper bound of the delay before attempt `attempt` (0-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.first.saturating_mul(factor).min(self.max)
    }

    /// The delay before attempt `attempt` given `unit`, a number in [0, 1)
    /// (ignored without jitter).
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        if self.jitter {
            ceiling.mul_f64(unit.clamp(0.0, 1.0))
        } else {
            ceiling
        }
    }

    /// The next delay (with fresh jitter when jittered), and one attempt more.
    pub fn next_delay(&mut self) -> Duration {
        let unit = if self.jitter { rand::random::<f64>() } else { 0.0 };
        let delay = self.delay(self.attempt, unit);
        self.attempt = self.attempt.saturating_add(1);
        delay
    }

    /// Back to the first step, after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Attempts since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Duration = Duration::from_millis(250);
    const MAX: Duration = Duration::from_secs(30);

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        let b = Backoff::new(FIRST, MAX);
        assert_eq!(b.ceiling(0), Duration::from_millis(250));
        assert_eq!(b.ceiling(1), Duration::from_millis(500));
        assert_eq!(b.ceiling(4), Duration::from_millis(4000));
        assert_eq!(b.ceiling(7), Duration::from_secs(30));
        assert_eq!(b.ceiling(1000), Duration::from_secs(30));
    }

    #[test]
    fn plain_delays_are_the_ceilings() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(2));
        let delays: Vec<Duration> = (0..4).map(|_| b.next_delay()).collect();
        assert_eq!(delays, [500, 1000, 2000, 2000].map(Duration::from_millis));
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(500));
    }

    #[test]
    fn jittered_delays_lie_within_the_ceiling() {
        let b = Backoff::new(FIRST, MAX).with_full_jitter();
        assert_eq!(b.delay(3, 0.0), Duration::ZERO);
        assert_eq!(b.delay(3, 0.5), Duration::from_millis(1000));
        assert_eq!(b.delay(3, 7.0), Duration::from_millis(2000));
        let mut b = b;
        for _ in 0..20 {
            assert!(b.next_delay() <= MAX);
        }
        assert_eq!(b.attempt(), 20);
        b.reset();
        assert_eq!(b.attempt(), 0);
        assert!(b.next_delay() <= FIRST);
    }
}
