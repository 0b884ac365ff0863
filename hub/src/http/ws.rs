//! `GET /ws`: upgrades to a [`WsSession`](crate::actors::ws_session::WsSession),
//! for the hub's own pages and `--allowed-origin`s (403 otherwise).

use actix_web::http::header;
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
    ws::WsResponseBuilder::new(session, &request, body).frame_size(MAX_INBOUND_FRAME).start()
}
