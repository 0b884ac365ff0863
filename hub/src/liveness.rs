//! When a machine counts as offline: after 3 missed intervals, and never
//! sooner than 5 s, so one late sample or a quick reconnect is not an outage.

use std::time::Duration;

/// Intervals a machine may miss before it is offline.
pub const MISSED_INTERVALS: u32 = 3;
/// The shortest silence that makes a machine offline.
pub const MIN_OFFLINE_AFTER: Duration = Duration::from_secs(5);
/// How often sessions check for overdue samples.
pub const OFFLINE_CHECK_INTERVAL: Duration = Duration::from_millis(500);

/// The silence after which a machine sampling every `interval` is offline.
pub fn offline_after(interval: Duration) -> Duration {
    (interval * MISSED_INTERVALS).max(MIN_OFFLINE_AFTER)
}

/// Whether `silence` since the last sample makes the machine offline.
pub fn is_overdue(silence: Duration, interval: Duration) -> bool {
    silence > offline_after(interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_five_seconds() {
        assert_eq!(offline_after(Duration::from_secs(1)), Duration::from_secs(5));
        assert_eq!(offline_after(Duration::from_millis(500)), Duration::from_secs(5));
        assert_eq!(offline_after(Duration::from_secs(10)), Duration::from_secs(30));
    }

    #[test]
    fn overdue_only_past_the_limit() {
        let interval = Duration::from_secs(1);
        assert!(!is_overdue(Duration::from_secs(5), interval));
        assert!(is_overdue(Duration::from_millis(5_001), interval));
        assert!(!is_overdue(Duration::from_secs(29), Duration::from_secs(10)));
    }
}
