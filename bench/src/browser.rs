//! A browser stand-in: reads the hub's WebSocket and records, for every new
//! sample of every machine, receive time − `sample_ts` (sample-to-browser
//! latency).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::agent::LoadCounters;

use sysmonstm_protocol::clock::now_ms;

/// Measures until `until`.
pub async fn measure(url: String, shared: Arc<LoadCounters>, until: Instant) {
    let (mut ws, _) = match tokio_tungstenite::connect_async(&url).await {
        Ok(ws) => ws,
        Err(e) => return shared.error(format!("websocket {url}: {e}")),
    };
    let mut seen: HashMap<String, i64> = HashMap::new();
    while Instant::now() < until {
        // Pings and other control frames come too; only the end stops us.
        let text = match ws.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            Some(Err(e)) => return shared.error(format!("websocket {url}: {e}")),
            None => return shared.error(format!("websocket {url}: closed by the hub")),
        };
        let received = now_ms();
        let Ok(frame) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        let measured = match frame["type"].as_str() {
            Some("update") => true,
            Some("snapshot") => false, // what the page starts from: remembered, not measured
            _ => continue,
        };
        for machine in frame["machines"].as_array().into_iter().flatten() {
            let (Some(id), Some(ts)) = (machine["machine_id"].as_str(), machine["sample_ts"].as_i64()) else {
                continue;
            };
            // Only a sample's first arrival: status changes (offline when
            // the run ends) repeat the last sample's time and are not new data.
            let newest = seen.entry(id.to_owned()).or_insert(i64::MIN);
            if ts > *newest {
                *newest = ts;
                if !measured {
                    continue;
                }
                let micros = ((received - ts).max(0) as u64) * 1000;
                LoadCounters::record(&shared.e2e_us, micros);
                LoadCounters::record(&shared.window_e2e_us, micros);
            }
        }
    }
}
