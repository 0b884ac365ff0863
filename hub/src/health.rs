//! Whether a dependency works: "failing, and the last error", for `/ready`,
//! `/api/stats` and `/metrics`. One type for every dependency the hub
//! reports on (the store's writes, Redis), updated by the actor that uses it
//! and read by the HTTP side without a message.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A dependency's health: working until [`Health::fail`], again after [`Health::recover`].
#[derive(Debug, Default)]
pub struct Health {
    failing: AtomicBool,
    last_error: Mutex<Option<String>>,
}

impl Health {
    /// Records a failure; true when it was working until now (so the
    /// caller logs the change once, not every retry).
    pub fn fail(&self, error: impl Into<String>) -> bool {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(error.into());
        }
        !self.failing.swap(true, Ordering::Relaxed)
    }

    /// Records success; true when it was failing until now.
    pub fn recover(&self) -> bool {
        self.failing.swap(false, Ordering::Relaxed)
    }

    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// The last error while failing; None while it works.
    pub fn error(&self) -> Option<String> {
        if !self.is_failing() {
            return None;
        }
        self.last_error.lock().ok().and_then(|e| e.clone()).or_else(|| Some("failing".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_changes_once_and_the_last_error_while_failing() {
        let health = Health::default();
        assert_eq!(health.error(), None);
        assert!(!health.recover(), "it was not failing");
        assert!(health.fail("connection refused"), "the first failure is a change");
        assert!(!health.fail("timed out"), "the second is not");
        assert!(health.is_failing());
        assert_eq!(health.error().as_deref(), Some("timed out"));
        assert!(health.recover(), "recovering is a change");
        assert_eq!(health.error(), None, "no error once it works, whatever the last one was");
        assert!(!health.recover());
    }
}
