//! HTTP (actix-web): REST API, the `/ws` live feed and the embedded dashboard.
//!
//! `/health` · `/ready` · `/api/machines` · `/api/machines/{id}` ·
//! `/api/machines/{id}/recent` · `/api/machines/{id}/history` · `/api/stats` ·
//! `/api/rules` (CRUD) · `/api/alerts` · `/api/session` (viewer sign-in) ·
//! `/ws` · everything else: the dashboard's files. With `--viewer-token`,
//! [`access::gate`] guards the data paths.

pub mod access;
mod api;
mod assets;
mod error;
mod lockout;
mod metrics;
mod rules;
mod ws;

use std::sync::Arc;

use actix::Addr;
use actix_web::web;
use slog::Logger;

pub use error::ApiError;

use crate::actors::alert_engine::AlertEngine;
use crate::actors::registry::MachineRegistry;
use crate::events::LiveSender;
use crate::health::Health;
use crate::read_access::ReadAccess;
use crate::stats::Stats;
use crate::store::status::StoreStatus;
use crate::store::Store;

/// What every HTTP handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Addr<MachineRegistry>,
    pub alerts: Addr<AlertEngine>,
    /// What `Authorization: Bearer …` must carry for REST changes.
    pub admin_token: Arc<str>,
    /// With `--viewer-token`, who may read ([`access::gate`]).
    pub readers: ReadAccess,
    pub live: LiveSender,
    pub stats: Arc<Stats>,
    pub store: Arc<dyn Store>,
    pub store_status: Arc<StoreStatus>,
    /// Wrong admin tokens per address (429 after too many).
    pub lockout: Arc<lockout::Lockout>,
    /// Origins besides the hub's own whose pages may open `/ws`.
    pub allowed_origins: Arc<[String]>,
    /// Redis, when this hub shares the fleet with others.
    pub redis_health: Option<Arc<Health>>,
    pub log: Logger,
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(api::health))
        .route("/ready", web::get().to(api::ready))
        .route("/metrics", web::get().to(metrics::metrics))
        .route("/api/stats", web::get().to(api::stats))
        .route("/api/machines", web::get().to(api::list_machines))
        .route("/api/machines/{id}", web::get().to(api::get_machine))
        .route("/api/machines/{id}/recent", web::get().to(api::recent))
        .route("/api/machines/{id}/history", web::get().to(api::history))
        .route("/api/rules", web::get().to(rules::list))
        .route("/api/rules", web::post().to(rules::create))
        .route("/api/rules/{id}", web::get().to(rules::get))
        .route("/api/rules/{id}", web::put().to(rules::replace))
        .route("/api/rules/{id}", web::patch().to(rules::patch))
        .route("/api/rules/{id}", web::delete().to(rules::delete))
        .route("/api/alerts", web::get().to(rules::alerts))
        .route("/api/openapi.json", web::get().to(api::openapi))
        .route("/api/session", web::get().to(access::session))
        .route("/api/session", web::post().to(access::sign_in))
        .route("/api/session", web::delete().to(access::sign_out))
        .route("/api/{tail:.*}", web::route().to(api::unknown_api))
        .route("/ws", web::get().to(ws::connect))
        .default_service(web::get().to(assets::serve));
}
