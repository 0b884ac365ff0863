//! The relay's routes: `/` the dashboard (read-only mode), `/ws` viewers,
//! `/ingest` hubs, `GET /api/machines`, `GET /api/meta` (health limits), `/health`. Nothing else: every other
//! `/api/` path is 404 and every method but GET is 405, so the relay offers
//! no way back into a hub.

use std::sync::atomic::Ordering;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sysmonstm_viewer::dashboard::{self, Mode};

use crate::relay::Relay;
use crate::{ingest, viewers};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/api/machines", web::get().to(machines))
        .route("/api/meta", web::get().to(meta))
        .route("/api/{tail:.*}", web::get().to(no_api))
        .route("/ws", web::get().to(viewers::connect))
        .route("/ingest", web::get().to(ingest::connect))
        .route("/{path:.*}", web::get().to(asset))
        .default_service(web::to(read_only));
}

async fn health(relay: web::Data<Relay>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "hubs_connected": relay.hubs.load(Ordering::Relaxed),
        "machines": relay.machine_count(),
        "viewers": relay.viewers.load(Ordering::Relaxed),
        "max_viewers": relay.max_viewers,
        "frames_in": relay.frames_in.load(Ordering::Relaxed),
        "frames_refused": relay.frames_refused.load(Ordering::Relaxed),
        "viewers_dropped": relay.viewers_dropped.load(Ordering::Relaxed),
    }))
}

async fn machines(relay: web::Data<Relay>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(relay.machines_json())
}

/// What the read-only dashboard asks the server for: the health limits.
async fn meta() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "health": sysmonstm_viewer::meta::health_limits() }))
}

async fn no_api(request: HttpRequest) -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({
        "error": format!("no API at {}: the relay serves only GET /api/machines", request.path())
    }))
}

async fn read_only(request: HttpRequest) -> HttpResponse {
    HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, "GET")).json(
        serde_json::json!({ "error": format!("{} {}: the relay is read-only", request.method(), request.path()) }),
    )
}

/// `static/<path>`, `/` as `index.html` (marked read-only).
async fn asset(request: HttpRequest) -> HttpResponse {
    dashboard::serve(&request, Mode::Relay)
}
