//! `GET /ws`: viewers of the public dashboard.
//!
//! A viewer gets the snapshot (with 5 minutes of chart points per machine),
//! then every frame the relay passes on, shared bytes encoded once. What a
//! viewer sends is ignored; a frame over [`MAX_VIEWER_FRAME`] closes the
//! connection (1009). A viewer that cannot keep up (falls
//! [`crate::relay::VIEWER_BACKLOG`] frames behind, or does not take a frame
//! within [`SEND_TIMEOUT`]) is dropped without slowing anyone else. At most
//! `--max-viewers` at once; beyond that, 503 before the upgrade.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{CloseCode, CloseReason, Message, ProtocolError};
use slog::debug;
use tokio::sync::broadcast::error::RecvError;

use crate::relay::{Relay, Slot};

/// Largest frame a viewer may send.
pub const MAX_VIEWER_FRAME: usize = 4096;
/// How long one frame may wait for a viewer's connection to take it.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);
pub use sysmonstm_viewer::heartbeat::{CLIENT_TIMEOUT, HEARTBEAT_INTERVAL};

fn close(code: CloseCode, why: &str) -> Option<CloseReason> {
    Some(CloseReason { code, description: Some(why.to_owned()) })
}

pub async fn connect(
    request: HttpRequest,
    body: web::Payload,
    relay: web::Data<Relay>,
) -> actix_web::Result<HttpResponse> {
    let relay: Arc<Relay> = relay.into_inner();
    let Some(slot) = Slot::reserve(relay.clone(), |r| &r.viewers, relay.max_viewers) else {
        return Ok(HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "30"))
            .json(serde_json::json!({ "error": "too many viewers; try again later" })));
    };
    let (response, mut session, stream) = actix_ws::handle(&request, body)?;
    let mut stream = stream.max_frame_size(MAX_VIEWER_FRAME);
    let (snapshot, mut frames) = relay.watch();
    actix_web::rt::spawn(async move {
        let _slot = slot;
        if session.text(snapshot).await.is_err() {
            return;
        }
        let mut heartbeat = tokio::time::interval(HEARTBEAT_INTERVAL);
        let mut last_heard = Instant::now();
        let reason = loop {
            tokio::select! {
                frame = frames.recv() => match frame {
                    Ok(frame) => match tokio::time::timeout(SEND_TIMEOUT, session.text(frame)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return,
                        Err(_) => break close(CloseCode::Again, "too slow: reconnect for a fresh snapshot"),
                    },
                    Err(RecvError::Lagged(_)) => break close(CloseCode::Again, "too slow: reconnect for a fresh snapshot"),
                    Err(RecvError::Closed) => break close(CloseCode::Restart, "relay stopping"),
                },
                message = stream.recv() => {
                    last_heard = Instant::now();
                    match message {
                        Some(Ok(Message::Ping(bytes))) => {
                            if session.pong(&bytes).await.is_err() {
                                return;
                            }
                        }
                        Some(Ok(Message::Close(_))) | None => break None,
                        // Viewers are read-only: whatever they say is ignored.
                        Some(Ok(_)) => {}
                        Some(Err(ProtocolError::Overflow)) => break close(CloseCode::Size, "frames over 4 KiB are refused"),
                        Some(Err(e)) => break close(CloseCode::Protocol, &e.to_string()),
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > CLIENT_TIMEOUT {
                        break close(CloseCode::Away, "no answer to pings");
                    }
                    if session.ping(b"").await.is_err() {
                        return;
                    }
                }
            }
        };
        if reason.as_ref().is_some_and(|r| r.code == CloseCode::Again) {
            relay.viewers_dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            debug!(relay.log, "viewer dropped: too slow");
        }
        let _ = tokio::time::timeout(SEND_TIMEOUT, session.close(reason)).await;
    });
    Ok(response)
}
