//! `GET /ws`: viewers of the public dashboard.
//!
//! A viewer gets the snapshot (with 5 minutes of chart points per machine),
//! then every frame the relay passes on, shared bytes encoded once, through
//! the session loop the hub's browsers use too
//! ([`sysmonstm_viewer::session`]: read-only, pinged, 1009 over 4 KiB). A
//! viewer that cannot keep up (falls [`crate::relay::VIEWER_BACKLOG`] frames
//! behind, or does not take a frame within
//! [`SEND_TIMEOUT`](sysmonstm_viewer::session::SEND_TIMEOUT)) is dropped
//! without slowing anyone else. At most `--max-viewers` at once; beyond
//! that, 503 before the upgrade.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use slog::debug;
use sysmonstm_viewer::session::{self, Ended};

use crate::relay::{Relay, Slot};

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
    let (response, ws, stream) = actix_ws::handle(&request, body)?;
    let (snapshot, frames) = relay.watch();
    actix_web::rt::spawn(async move {
        let _slot = slot;
        let ended = session::serve(ws, stream, snapshot.into(), frames).await;
        if ended == Ended::TooSlow {
            relay.viewers_dropped.fetch_add(1, Ordering::Relaxed);
            debug!(relay.log, "viewer dropped: too slow");
        }
    });
    Ok(response)
}
