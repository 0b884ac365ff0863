//! `GET /ingest`: the WebSocket a hub pushes its live feed to.
//!
//! The API key is checked before the upgrade (constant time): a wrong or
//! missing key gets 401 and no WebSocket. Each text frame is a hub frame
//! (`snapshot`, `update`, `alert`); a frame the relay cannot read is logged
//! and skipped, never half-applied.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::AggregatedMessage;
use slog::{info, warn};
use sysmonstm_protocol::token;

use crate::relay::{Relay, Slot};

/// Largest frame a hub may send (a snapshot of a large fleet).
pub const MAX_INGEST_FRAME: usize = 64 * 1024 * 1024;
/// Most hubs pushing at once.
pub const MAX_HUBS: usize = 64;
/// A hub link silent this long is closed (hubs ping more often).
pub const HUB_TIMEOUT: Duration = Duration::from_secs(60);

fn unauthorized(message: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
        .json(serde_json::json!({ "error": message }))
}

pub async fn connect(
    request: HttpRequest,
    body: web::Payload,
    relay: web::Data<Relay>,
) -> actix_web::Result<HttpResponse> {
    let presented = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(token::bearer);
    match presented {
        None => return Ok(unauthorized("missing API key: send `Authorization: Bearer <key>`")),
        Some(key) if !token::matches(key, &relay.api_key) => {
            warn!(relay.log, "hub link refused: wrong API key"; "peer" => request.peer_addr().map(|a| a.to_string()));
            return Ok(unauthorized("wrong API key"));
        }
        Some(_) => {}
    }
    let relay: Arc<Relay> = relay.into_inner();
    let Some(slot) = Slot::reserve(relay.clone(), |r| &r.hubs, MAX_HUBS) else {
        return Ok(HttpResponse::ServiceUnavailable().json(serde_json::json!({ "error": "too many hubs connected" })));
    };
    let (response, mut session, stream) = actix_ws::handle(&request, body)?;
    let mut stream =
        stream.max_frame_size(MAX_INGEST_FRAME).aggregate_continuations().max_continuation_size(MAX_INGEST_FRAME);
    let peer = request.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    info!(relay.log, "hub connected"; "peer" => &peer);
    actix_web::rt::spawn(async move {
        let _slot = slot;
        loop {
            let message = match tokio::time::timeout(HUB_TIMEOUT, stream.recv()).await {
                Ok(Some(Ok(message))) => message,
                Ok(Some(Err(e))) => {
                    warn!(relay.log, "hub link protocol error; closing"; "peer" => &peer, "error" => %e);
                    break;
                }
                Ok(None) => break,
                Err(_) => {
                    warn!(relay.log, "hub link silent; closing"; "peer" => &peer);
                    break;
                }
            };
            match message {
                AggregatedMessage::Text(text) => {
                    if let Err(e) = relay.ingest(&text) {
                        warn!(relay.log, "frame from hub skipped"; "peer" => &peer, "error" => %e);
                    }
                }
                AggregatedMessage::Ping(bytes) => {
                    if session.pong(&bytes).await.is_err() {
                        break;
                    }
                }
                AggregatedMessage::Close(_) => break,
                AggregatedMessage::Binary(_) | AggregatedMessage::Pong(_) => {}
            }
        }
        let _ = session.close(None).await;
        info!(relay.log, "hub disconnected"; "peer" => &peer);
    });
    Ok(response)
}
