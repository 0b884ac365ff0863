//! `GET /ws`: the live feed of the hub's dashboard, for the hub's own pages
//! and `--allowed-origin`s (403 otherwise). A plain GET (no `Upgrade:
//! websocket`) is told so with 426; a broken handshake (wrong version, no
//! key) is a 400 saying what was wrong.
//!
//! A browser gets the snapshot of the fleet, then its [`LiveFeed`], through
//! the session loop hub and relay share ([`sysmonstm_viewer::session`]:
//! pinged, read-only, dropped when too slow, 1009 over 4 KiB). The browser
//! is subscribed before the snapshot is taken, so nothing falls in between.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use actix_http::ws::HandshakeError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use slog::debug;
use sysmonstm_viewer::session::{self, Ended};

use super::live_feed::LiveFeed;
use super::AppState;
use crate::actors::registry::ListMachines;
use crate::frames;
use crate::origin;
use crate::stats::Stats;

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
    // The handshake is checked once, by actix-ws; what it refused is told
    // in JSON, naming the header.
    let (response, ws, stream) = match actix_ws::handle(&request, body) {
        Ok(upgraded) => upgraded,
        Err(e) => {
            return Ok(match e.as_error::<HandshakeError>() {
                Some(HandshakeError::NoWebsocketUpgrade) => refused_plain_get(),
                Some(refusal) => refused_handshake(refusal),
                None => e.error_response(),
            })
        }
    };
    let feed = LiveFeed::new(state.live.subscribe());
    let (registry, log) = (state.registry.clone(), state.log.clone());
    let counted = Counted::new(state.stats.clone());
    actix_web::rt::spawn(async move {
        let _counted = counted;
        let Ok(machines) = registry.send(ListMachines).await else {
            return; // the hub is stopping
        };
        let snapshot = frames::snapshot(machines.iter().map(|u| &*u.summary_json));
        match session::serve(ws, stream, snapshot.into(), feed).await {
            Ended::Left | Ended::Stopping => {}
            ended => debug!(log, "browser session dropped"; "why" => ?ended),
        }
    });
    Ok(response)
}

/// One open browser session in the hub's counters, for as long as it lives.
struct Counted(Arc<Stats>);

impl Counted {
    fn new(stats: Arc<Stats>) -> Self {
        stats.browser_sessions.fetch_add(1, Ordering::Relaxed);
        Counted(stats)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.browser_sessions.fetch_sub(1, Ordering::Relaxed);
    }
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
fn refused_handshake(refusal: &HandshakeError) -> HttpResponse {
    let field = match refusal {
        HandshakeError::NoConnectionUpgrade => "connection",
        HandshakeError::NoVersionHeader | HandshakeError::UnsupportedVersion => "sec-websocket-version",
        HandshakeError::BadWebsocketKey => "sec-websocket-key",
        _ => "upgrade",
    };
    HttpResponse::BadRequest()
        .json(serde_json::json!({ "error": format!("not a valid WebSocket handshake: {refusal}"), "field": field }))
}
