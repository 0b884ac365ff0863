//! A browser stand-in: reads the hub's WebSocket and records, for every
//! machine in every frame, receive time − `sample_ts` (sample-to-browser latency).

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::agent::Shared;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Measures until `until`.
pub async fn measure(url: String, shared: Arc<Shared>, until: Instant) {
    let (mut ws, _) = match tokio_tungstenite::connect_async(&url).await {
        Ok(ws) => ws,
        Err(e) => return shared.error(format!("websocket {url}: {e}")),
    };
    while Instant::now() < until {
        let Some(Ok(Message::Text(text))) = ws.next().await else { break };
        let received = now_ms();
        let Ok(frame) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        if frame["type"] != "update" {
            continue;
        }
        for machine in frame["machines"].as_array().into_iter().flatten() {
            if let Some(ts) = machine["sample_ts"].as_i64() {
                Shared::record(&shared.e2e_us, ((received - ts).max(0) as u64) * 1000);
            }
        }
    }
}
