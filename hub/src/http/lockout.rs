//! Repeated wrong admin tokens from one address: after [`MAX_FAILURES`]
//! within [`WINDOW`], that address gets 429 with `Retry-After` until the
//! window has passed — right token or not, so guessing gains nothing.
//! Pure: the caller passes the time.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong tokens one address may send within [`WINDOW`].
pub const MAX_FAILURES: u32 = 10;
/// How long failures are remembered, and how long a lockout lasts.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most (the oldest windows are forgotten first).
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Default)]
pub struct Lockout {
    /// Address -> (failures, when its window started).
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Lockout {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How long `addr` must wait before trying again, if it is locked out.
    pub fn retry_after(&self, addr: IpAddr, now: Instant) -> Option<Duration> {
        let table = self.table();
        let (count, since) = table.get(&addr)?;
        let left = WINDOW.checked_sub(now.saturating_duration_since(*since))?;
        (*count >= MAX_FAILURES && !left.is_zero()).then_some(left)
    }

    /// Counts a wrong token from `addr`.
    pub fn failed(&self, addr: IpAddr, now: Instant) {
        let mut table = self.table();
        if table.len() >= MAX_TRACKED && !table.contains_key(&addr) {
            table.retain(|_, (_, since)| now.saturating_duration_since(*since) < WINDOW);
            if table.len() >= MAX_TRACKED {
                if let Some(oldest) = table.iter().min_by_key(|(_, (_, since))| *since).map(|(a, _)| *a) {
                    table.remove(&oldest);
                }
            }
        }
        let entry = table.entry(addr).or_insert((0, now));
        if now.saturating_duration_since(entry.1) >= WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    /// One attempt from `peer`: `Err(wait)` while it is locked out (right
    /// token or not), else `Ok(accepted)`, a refusal counted, a success
    /// clearing its failures. Without a peer address nothing is counted.
    pub fn attempt(&self, peer: Option<IpAddr>, now: Instant, accepted: bool) -> Result<bool, Duration> {
        let Some(addr) = peer else { return Ok(accepted) };
        if let Some(wait) = self.retry_after(addr, now) {
            return Err(wait);
        }
        if accepted {
            self.succeeded(addr);
        } else {
            self.failed(addr, now);
        }
        Ok(accepted)
    }

    /// A right token from `addr` clears its failures.
    pub fn succeeded(&self, addr: IpAddr) {
        self.table().remove(&addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn locks_after_the_limit_until_the_window_passes() {
        let lockout = Lockout::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            assert_eq!(lockout.retry_after(A, t0), None, "attempt {i} still allowed");
            lockout.failed(A, t0);
        }
        assert_eq!(lockout.retry_after(A, t0), Some(WINDOW));
        assert_eq!(lockout.retry_after(A, t0 + Duration::from_secs(45)), Some(Duration::from_secs(15)));
        assert_eq!(lockout.retry_after(B, t0), None, "other addresses are not affected");
        assert_eq!(lockout.retry_after(A, t0 + WINDOW), None, "the lockout ends with the window");
    }

    #[test]
    fn failures_expire_and_success_clears() {
        let lockout = Lockout::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            lockout.failed(A, t0);
        }
        lockout.failed(A, t0 + WINDOW); // a new window: count starts again
        assert_eq!(lockout.retry_after(A, t0 + WINDOW), None);
        for _ in 0..MAX_FAILURES - 1 {
            lockout.failed(B, t0);
        }
        lockout.succeeded(B);
        lockout.failed(B, t0);
        assert_eq!(lockout.retry_after(B, t0), None);
    }

    #[test]
    fn an_attempt_while_locked_out_is_refused_even_when_right() {
        let lockout = Lockout::default();
        let t0 = Instant::now();
        assert_eq!(lockout.attempt(Some(A), t0, true), Ok(true));
        for _ in 0..MAX_FAILURES {
            assert_eq!(lockout.attempt(Some(A), t0, false), Ok(false));
        }
        assert_eq!(lockout.attempt(Some(A), t0, true), Err(WINDOW), "the right token gains nothing");
        assert_eq!(lockout.attempt(Some(B), t0, true), Ok(true));
        assert_eq!(lockout.attempt(None, t0, false), Ok(false), "no address: nothing to count");
    }
}
