//! Coalescing a viewer's pending updates: the latest state per machine
//! since the last frame, sent together, at most one frame per gap. The hub
//! does it per browser (a 50 ms gap) and for its relay link (250 ms).

use std::collections::HashMap;
use std::time::Duration;

/// The latest value per machine since the last [`Pending::take`].
#[derive(Debug)]
pub struct Pending<V> {
    latest: HashMap<String, V>,
}

impl<V> Default for Pending<V> {
    fn default() -> Self {
        Pending { latest: HashMap::new() }
    }
}

impl<V> Pending<V> {
    /// Records `value` as the latest of the machine `key` names in it,
    /// replacing an older one (the key is copied only for a new machine).
    pub fn put(&mut self, value: V, key: impl Fn(&V) -> &str) {
        if let Some(slot) = self.latest.get_mut(key(&value)) {
            *slot = value;
            return;
        }
        self.latest.insert(key(&value).to_owned(), value);
    }

    /// Drops what is pending for the machine `key` (it was removed).
    pub fn forget(&mut self, key: &str) {
        self.latest.remove(key);
    }

    /// Everything pending, leaving nothing.
    pub fn take(&mut self) -> Vec<V> {
        self.latest.drain().map(|(_, v)| v).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    pub fn len(&self) -> usize {
        self.latest.len()
    }
}

/// How long pending updates wait, `since_last` after the last frame, for
/// frames at least `gap` apart: none when nothing was sent for `gap`.
pub fn flush_delay(since_last: Option<Duration>, gap: Duration) -> Duration {
    since_last.map_or(Duration::ZERO, |elapsed| gap.saturating_sub(elapsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAP: Duration = Duration::from_millis(50);

    #[test]
    fn the_latest_per_machine_goes_once() {
        let mut pending = Pending::default();
        fn name<'a>(v: &'a (&'static str, i32)) -> &'a str {
            v.0
        }
        pending.put(("a", 1), name);
        pending.put(("b", 2), name);
        pending.put(("a", 3), name);
        assert_eq!(pending.len(), 2);
        let mut sent = pending.take();
        sent.sort();
        assert_eq!(sent, vec![("a", 3), ("b", 2)]);
        assert!(pending.is_empty());
    }

    #[test]
    fn first_update_goes_at_once_later_ones_wait_for_the_gap() {
        assert_eq!(flush_delay(None, GAP), Duration::ZERO);
        assert_eq!(flush_delay(Some(Duration::from_millis(10)), GAP), Duration::from_millis(40));
        assert_eq!(flush_delay(Some(GAP), GAP), Duration::ZERO);
        assert_eq!(flush_delay(Some(Duration::from_secs(3)), GAP), Duration::ZERO);
    }
}
