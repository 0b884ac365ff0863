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
    /// Records `value` as `machine_id`'s latest, replacing an older one.
    pub fn put(&mut self, machine_id: &str, value: V) {
        match self.latest.get_mut(machine_id) {
            Some(slot) => *slot = value,
            None => {
                self.latest.insert(machine_id.to_owned(), value);
            }
        }
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
        pending.put("a", 1);
        pending.put("b", 2);
        pending.put("a", 3);
        assert_eq!(pending.len(), 2);
        let mut sent = pending.take();
        sent.sort();
        assert_eq!(sent, vec![2, 3]);
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
