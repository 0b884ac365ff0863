//! Reconnect delays: exponential backoff with full jitter.
//!
//! Attempt n waits a uniformly random time in `[0, min(MAX, BASE * 2^n)]`, so
//! a fleet of agents that lost the same hub does not come back in lockstep.

use std::time::Duration;

/// Ceiling of the first retry's delay.
pub const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// Largest delay between two attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The upper bound of the delay before attempt `attempt` (0-based).
pub fn ceiling(attempt: u32) -> Duration {
    let factor = 1u64.checked_shl(attempt.min(32)).unwrap_or(u64::MAX);
    let millis = (BACKOFF_BASE.as_millis() as u64).saturating_mul(factor);
    Duration::from_millis(millis).min(BACKOFF_MAX)
}

/// The delay before attempt `attempt`, given `unit`, a random number in [0, 1).
pub fn delay(attempt: u32, unit: f64) -> Duration {
    ceiling(attempt).mul_f64(unit.clamp(0.0, 1.0))
}

/// Counts attempts and draws jittered delays.
#[derive(Debug, Default)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    /// The next delay, with fresh jitter.
    pub fn next_delay(&mut self) -> Duration {
        let unit: f64 = rand::random();
        let d = delay(self.attempt, unit);
        self.attempt = self.attempt.saturating_add(1);
        d
    }

    /// Back to the first step, after a successful connection.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        assert_eq!(ceiling(0), Duration::from_millis(250));
        assert_eq!(ceiling(1), Duration::from_millis(500));
        assert_eq!(ceiling(4), Duration::from_millis(4000));
        assert_eq!(ceiling(7), Duration::from_secs(30));
        assert_eq!(ceiling(1000), Duration::from_secs(30));
    }

    #[test]
    fn delay_is_jittered_within_the_ceiling() {
        assert_eq!(delay(3, 0.0), Duration::ZERO);
        assert_eq!(delay(3, 0.5), Duration::from_millis(1000));
        assert_eq!(delay(3, 7.0), Duration::from_millis(2000));
    }

    #[test]
    fn backoff_grows_and_resets() {
        let mut backoff = Backoff::default();
        for _ in 0..20 {
            assert!(backoff.next_delay() <= BACKOFF_MAX);
        }
        assert_eq!(backoff.attempt(), 20);
        backoff.reset();
        assert_eq!(backoff.attempt(), 0);
        assert!(backoff.next_delay() <= BACKOFF_BASE);
    }
}
