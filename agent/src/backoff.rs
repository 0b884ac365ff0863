//! The agent's reconnect delays: the project's one backoff
//! (`sysmonstm_protocol::backoff`) with full jitter, from 250 ms up to 30 s,
//! so a fleet of agents that lost the same hub does not come back in lockstep.

use std::time::Duration;

pub use sysmonstm_protocol::backoff::Backoff;

/// Ceiling of the first retry's delay.
pub const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// Largest delay between two attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// A fresh reconnect backoff.
pub fn reconnect() -> Backoff {
    Backoff::new(BACKOFF_BASE, BACKOFF_MAX).with_full_jitter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnects_are_jittered_below_the_doubling_ceiling() {
        let mut backoff = reconnect();
        assert_eq!(backoff.ceiling(7), BACKOFF_MAX);
        assert_eq!(backoff.delay(2, 0.5), Duration::from_millis(500), "half of 1 s: jittered");
        for _ in 0..20 {
            assert!(backoff.next_delay() <= BACKOFF_MAX);
        }
        backoff.reset();
        assert!(backoff.next_delay() <= BACKOFF_BASE);
    }
}
