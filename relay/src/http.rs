//! The relay's routes: `/` the dashboard (read-only mode), `/ws` viewers,
//! `/ingest` hubs, `GET /api/machines`, `/health`. Nothing else: every other
//! `/api/` path is 404 and every method but GET is 405, so the relay offers
//! no way back into a hub.

use std::sync::atomic::Ordering;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use crate::relay::Relay;
use crate::{ingest, viewers};

#[derive(RustEmbed)]
#[folder = "../static/"]
struct Dashboard;

/// Marks the page read-only; the dashboard hides what needs a hub.
const READ_ONLY_BODY: &str = "<body data-mode=\"relay\">";

/// What browsers may load and connect to from the relay's pages.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/api/machines", web::get().to(machines))
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
    let path = request.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let Some(file) = Dashboard::get(path) else {
        return HttpResponse::NotFound().json(serde_json::json!({ "error": format!("no file `/{path}`") }));
    };
    let mut response = HttpResponse::Ok();
    response
        .content_type(file.metadata.mimetype())
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY));
    if path == "index.html" {
        let html = String::from_utf8_lossy(&file.data).replacen("<body>", READ_ONLY_BODY, 1);
        return response.body(html);
    }
    response.body(file.data.into_owned())
}
