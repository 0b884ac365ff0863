//! A browser on the hub's `/ws`: connect, read frames, wait for a machine.

use std::time::Instant;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::wait::WAIT;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn ws_connect(http: &str) -> Ws {
    let url = format!("{}/ws", http.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url).await.expect("websocket connects").0
}

/// The next JSON text frame.
pub async fn ws_next(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next()).await.expect("frame in time").expect("open").expect("ok");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("frame is JSON");
        }
    }
}

/// Reads frames until one lists `id` satisfying `check`.
pub async fn ws_until(ws: &mut Ws, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "no frame with {id} matching");
        let frame = ws_next(ws).await;
        let found = frame["machines"].as_array().and_then(|ms| ms.iter().find(|m| m["machine_id"] == id).cloned());
        if let Some(m) = found.filter(|m| check(m)) {
            return m;
        }
    }
}

pub async fn ws_send_text(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.into())).await.expect("send");
}
