//! What the hub sends a browser after its snapshot: the viewers' broadcast
//! of machine states, coalesced per browser, and alert frames at once.
//!
//! An update arriving when nothing was sent for [`MIN_FRAME_GAP`] goes out
//! at once; later ones wait for the gap to pass and go out together, the
//! latest per machine (at most 20 frames a second, a sample waits at most
//! 50 ms). The session loop itself is the one hub and relay share
//! ([`sysmonstm_viewer::session`]).

use std::sync::Arc;
use std::time::Duration;

use bytestring::ByteString;
use sysmonstm_viewer::coalesce::{flush_delay, Pending};
use sysmonstm_viewer::session::{Feed, Next};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use crate::events::{LiveEvent, MachineUpdate};
use crate::frames;

/// Least time between two update frames to one browser.
pub const MIN_FRAME_GAP: Duration = Duration::from_millis(50);

/// One browser's feed.
pub struct LiveFeed {
    events: broadcast::Receiver<LiveEvent>,
    /// Latest update per machine since the last frame.
    pending: Pending<Arc<MachineUpdate>>,
    /// When the last update frame went out.
    last_sent: Option<Instant>,
}

impl LiveFeed {
    /// A feed of what `events` carries from now on.
    pub fn new(events: broadcast::Receiver<LiveEvent>) -> Self {
        LiveFeed { events, pending: Pending::default(), last_sent: None }
    }

    /// When what is pending may go out (none pending: never).
    fn due(&self) -> Option<Instant> {
        let now = Instant::now();
        (!self.pending.is_empty())
            .then(|| now + flush_delay(self.last_sent.map(|at| now.duration_since(at)), MIN_FRAME_GAP))
    }

    fn flush(&mut self) -> Next {
        let pending = self.pending.take();
        self.last_sent = Some(Instant::now());
        Next::Frame(ByteString::from(frames::update(pending.iter().map(|u| &*u.summary_json))))
    }
}

impl Feed for LiveFeed {
    // Cancel-safe: what was received is kept in `pending`, and the
    // broadcast receiver's own `recv` is cancel-safe.
    async fn next(&mut self) -> Next {
        loop {
            let due = self.due();
            if due.is_some_and(|at| at <= Instant::now()) {
                return self.flush();
            }
            tokio::select! {
                event = self.events.recv() => match event {
                    Ok(LiveEvent::Machine(update)) => self.pending.put(update, |u| u.machine_id()),
                    // Alerts are rare and urgent: sent at once, not coalesced.
                    Ok(LiveEvent::Alert(frame)) => return Next::Frame(ByteString::from(&*frame)),
                    Ok(LiveEvent::Removed(machine_id)) => {
                        self.pending.forget(&machine_id);
                        return Next::Frame(ByteString::from(frames::removed(&machine_id)));
                    }
                    Err(RecvError::Lagged(_)) => return Next::Behind,
                    Err(RecvError::Closed) => return Next::Ended,
                },
                _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => return self.flush(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysmonstm_protocol::model::{HostInfo, MachineStatus, MachineSummary, Sample};

    fn update(machine: &str, seq: u64) -> LiveEvent {
        let host = Arc::new(HostInfo::default());
        let latest = Arc::new(Sample { seq, timestamp_ms: 1_700_000_000_000 + seq as i64, ..Sample::default() });
        let summary = MachineSummary::new(machine, &host, &latest, MachineStatus::Online, 1_700_000_000_000);
        LiveEvent::Machine(MachineUpdate::new(summary, Arc::from("inst"), host, latest))
    }

    /// The machines and seqs (sample times past the base) an update frame
    /// carries, sorted.
    fn carried(next: Next) -> Vec<(String, u64)> {
        let Next::Frame(frame) = next else { panic!("expected a frame, got {next:?}") };
        let frame: serde_json::Value = serde_json::from_str(&frame).expect("json");
        assert_eq!(frame["type"], "update");
        let mut got: Vec<(String, u64)> = frame["machines"]
            .as_array()
            .expect("machines")
            .iter()
            .map(|m| {
                (
                    m["machine_id"].as_str().unwrap_or("?").to_owned(),
                    m["sample_ts"].as_u64().unwrap_or(0) - 1_700_000_000_000,
                )
            })
            .collect();
        got.sort();
        got
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_update_goes_at_once_later_ones_wait_for_the_gap_latest_per_machine() {
        let (live, events) = broadcast::channel(16);
        let mut feed = LiveFeed::new(events);
        live.send(update("a", 1)).expect("send");
        assert_eq!(carried(feed.next().await), [("a".to_owned(), 1)]);

        let sent = Instant::now();
        for event in [update("a", 2), update("b", 1), update("a", 3)] {
            live.send(event).expect("send");
        }
        let next = feed.next().await;
        assert!(sent.elapsed() >= MIN_FRAME_GAP, "waited only {:?}", sent.elapsed());
        assert_eq!(carried(next), [("a".to_owned(), 3), ("b".to_owned(), 1)]);
    }

    #[tokio::test(start_paused = true)]
    async fn alerts_go_at_once_and_lag_or_shutdown_end_the_feed() {
        let (live, events) = broadcast::channel(2);
        let mut feed = LiveFeed::new(events);
        live.send(LiveEvent::Alert(Arc::from(r#"{"type":"alert"}"#))).expect("send");
        assert_eq!(feed.next().await, Next::Frame(ByteString::from(r#"{"type":"alert"}"#)));
        for seq in 1..=3 {
            live.send(update("a", seq)).expect("send");
        }
        assert_eq!(feed.next().await, Next::Behind);
        drop(live);
        let mut drained = feed.next().await;
        while matches!(drained, Next::Frame(_)) {
            drained = feed.next().await;
        }
        assert_eq!(drained, Next::Ended);
    }
}
