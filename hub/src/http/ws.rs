//! `GET /ws`: upgrades to a [`WsSession`](crate::actors::ws_session::WsSession),
//! for the hub's own pages and `--allowed-origin`s (403 otherwise). A plain
//! GET (no `Upgrade: websocket`) is told so with 426; a broken handshake
//! (wrong version, no key) is a 400 saying what was wrong.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use slog::debug;

use super::AppState;
use crate::actors::ws_session::{WsSession, MAX_INBOUND_FRAME};
use crate::origin;

pub async fn connect(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let header_of = |name| request.headers().get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    let from = header_of(header::ORIGIN);
    if !origin::allowed(from, header_of(header::HOST), &state.allowed_origins) {
        debug!(state.log, "WebSocket upgrade refused: foreign origin"; "origin" => from);
        return Ok(HttpResponse::Forbidden().json(serde_json::json!({
            "error": format!("origin {} may not open the live feed; allow it with --allowed-origin", from.unwrap_or("?")),
        })));
    }
    let session =
        WsSession::new(state.registry.clone(), state.live.subscribe(), state.stats.clone(), state.log.clone());
    let started = ws::WsResponseBuilder::new(session, &request, body).frame_size(MAX_INBOUND_FRAME).start();
    // The handshake is checked once, by the builder; what it refused is
    // told in JSON, naming the header.
    Ok(started.unwrap_or_else(|e| match e.as_error::<ws::HandshakeError>() {
        Some(ws::HandshakeError::NoWebsocketUpgrade) => refused_plain_get(),
        Some(refusal) => refused_handshake(refusal),
        None => e.error_response(),
    }))
}

/// A plain GET: 426, saying how to connect.
fn refused_plain_get() -> HttpResponse {
    HttpResponse::build(StatusCode::UPGRADE_REQUIRED).insert_header((header::UPGRADE, "websocket")).json(
        serde_json::json!({
            "error": "/ws is the live feed over WebSocket: connect with `Upgrade: websocket` (a browser's new WebSocket(…))",
            "field": "upgrade",
        }),
    )
}

/// A broken handshake: 400 naming the header that was wrong.
fn refused_handshake(refusal: &ws::HandshakeError) -> HttpResponse {
    let field = match refusal {
        ws::HandshakeError::NoConnectionUpgrade => "connection",
        ws::HandshakeError::NoVersionHeader | ws::HandshakeError::UnsupportedVersion => "sec-websocket-version",
        ws::HandshakeError::BadWebsocketKey => "sec-websocket-key",
        _ => "upgrade",
    };
    HttpResponse::BadRequest()
        .json(serde_json::json!({ "error": format!("not a valid WebSocket handshake: {refusal}"), "field": field }))
}
