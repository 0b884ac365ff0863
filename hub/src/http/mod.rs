//! HTTP (actix-web): REST API, the `/ws` live feed and the embedded dashboard.
//!
//! `/health` · `/ready` · `/api/machines` · `/api/machines/{id}` ·
//! `/api/machines/{id}/recent` · `/api/machines/{id}/history` · `/api/stats` ·
//! `/ws` · everything else: the
//! dashboard's files.

mod api;
mod assets;
mod error;
mod ws;

use std::sync::Arc;

use actix::Addr;
use actix_web::web;
use slog::Logger;

pub use error::ApiError;

use crate::actors::fanout::UpdateSender;
use crate::actors::registry::MachineRegistry;
use crate::actors::storage_writer::StoreStatus;
use crate::stats::Stats;
use crate::store::Store;

/// What every HTTP handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Addr<MachineRegistry>,
    pub updates: UpdateSender,
    pub stats: Arc<Stats>,
    pub store: Arc<dyn Store>,
    pub store_status: Arc<StoreStatus>,
    pub log: Logger,
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(api::health))
        .route("/ready", web::get().to(api::ready))
        .route("/api/stats", web::get().to(api::stats))
        .route("/api/machines", web::get().to(api::list_machines))
        .route("/api/machines/{id}", web::get().to(api::get_machine))
        .route("/api/machines/{id}/recent", web::get().to(api::recent))
        .route("/api/machines/{id}/history", web::get().to(api::history))
        .route("/api/{tail:.*}", web::route().to(api::unknown_api))
        .route("/ws", web::get().to(ws::connect))
        .default_service(web::get().to(assets::serve));
}
