//! How long a test waits for what should happen within seconds, and how.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long a test waits for something that should happen within seconds.
pub const WAIT: Duration = Duration::from_secs(15);
/// How often [`eventually`] looks again.
const POLL: Duration = Duration::from_millis(50);

/// Polls `probe` until it returns Some, or panics after [`WAIT`] naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}
