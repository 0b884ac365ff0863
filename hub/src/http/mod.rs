//! HTTP (actix-web): REST API, the `/ws` live feed and the embedded dashboard.
//!
//! `/health` · `/ready` · `/api/machines` · `/api/machines/{id}` ·
//! `/api/machines/{id}/recent` · `/api/machines/{id}/history` · `/api/stats` ·
//! `/api/rules` (CRUD) · `/api/alerts`, `/api/alerts/{id}` (with its
//! deliveries), `/api/alerts/{id}/ack` · `/api/channels` (CRUD, test) ·
//! `/api/silences` (silences and maintenance windows: list, create, expire) · `/api/agent-tokens` (issue, list,
//! revoke) · `/api/audit` (admin changes) · `/api/session` (viewer sign-in) ·
//! `/api/meta` (what the dashboard asks the server instead of repeating) ·
//! `/ws` · `/install.sh`, `/download/sysmonstm-agent[.sha256]` (the one-line
//! agent install, open like the dashboard's files) · everything else: the
//! dashboard's files. With `--viewer-token`,
//! [`access::gate`] guards the data paths.

pub mod access;
mod admin;
mod agent_tokens;
mod api;
mod assets;
mod audit;
mod channels;
mod error;
mod install;
mod live_feed;
mod lockout;
pub mod meta;
mod metrics;
mod rules;
mod silences;
mod ws;

use std::sync::Arc;

use actix::Addr;
use actix_web::http::Method;
use actix_web::{guard, web, HttpRequest, HttpResponse, Resource, Route};
use slog::Logger;

pub use error::ApiError;

use crate::actors::alert_engine::AlertEngine;
use crate::actors::notifier::Notifier;
use crate::actors::registry::MachineRegistry;
use crate::agent_binary::AgentBinary;
use crate::agent_tokens::book::TokenBook;
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
    pub notifier: Addr<Notifier>,
    /// What `Authorization: Bearer …` must carry for REST changes.
    pub admin_token: Arc<str>,
    /// Agent tokens issued over REST, as the gRPC side checks them.
    pub tokens: Arc<TokenBook>,
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
    /// What `/download/sysmonstm-agent` serves.
    pub agent_binary: Arc<AgentBinary>,
    /// `--public-url`: the gRPC URL install scripts give agents.
    pub public_url: Option<Arc<str>>,
    /// The port agents connect to, and whether with TLS.
    pub grpc_port: u16,
    pub grpc_tls: bool,
    pub log: Logger,
}

/// GET, and HEAD answered the same without a body.
fn read() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A path whose other methods answer 405 with `Allow: allow`.
fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move |request: HttpRequest| async move {
        Err::<HttpResponse, _>(not_allowed(&request, allow))
    }))
}

fn not_allowed(request: &HttpRequest, allow: &'static str) -> ApiError {
    ApiError::MethodNotAllowed { method: request.method().to_string(), path: request.path().to_owned(), allow }
}

/// Registers every route. Every error is JSON `{error, field}`: a query
/// string that does not parse is a 400 naming the parameter, a method a
/// path does not take a 405 with `Allow`, an unknown `/api/` path a 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|e, _| error::bad_query(e).into()))
        .app_data(web::PathConfig::default().error_handler(|e, _| error::bad_path(e).into()))
        .service(resource("/health", "GET, HEAD").route(read().to(api::health)))
        .service(resource("/ready", "GET, HEAD").route(read().to(api::ready)))
        .service(resource("/metrics", "GET, HEAD").route(read().to(metrics::metrics)))
        .service(resource("/api/stats", "GET, HEAD").route(read().to(api::stats)))
        .service(resource("/api/machines", "GET, HEAD").route(read().to(api::list_machines)))
        .service(
            resource("/api/machines/{id}", "GET, HEAD, PATCH, DELETE")
                .route(read().to(api::get_machine))
                .route(web::patch().to(api::patch_machine))
                .route(web::delete().to(api::delete_machine)),
        )
        .service(resource("/api/machines/{id}/recent", "GET, HEAD").route(read().to(api::recent)))
        .service(resource("/api/machines/{id}/history", "GET, HEAD").route(read().to(api::history)))
        .service(
            resource("/api/rules", "GET, HEAD, POST")
                .route(read().to(rules::list))
                .route(web::post().to(rules::create)),
        )
        .service(
            resource("/api/rules/{id}", "GET, HEAD, PUT, PATCH, DELETE")
                .route(read().to(rules::get))
                .route(web::put().to(rules::replace))
                .route(web::patch().to(rules::patch))
                .route(web::delete().to(rules::delete)),
        )
        .service(resource("/api/alerts", "GET, HEAD").route(read().to(rules::alerts)))
        .service(resource("/api/alerts/{id}", "GET, HEAD").route(read().to(rules::alert)))
        .service(resource("/api/alerts/{id}/ack", "POST").route(web::post().to(silences::acknowledge)))
        .service(
            resource("/api/silences", "GET, HEAD, POST")
                .route(read().to(silences::list))
                .route(web::post().to(silences::create)),
        )
        .service(
            resource("/api/silences/{id}", "GET, HEAD, DELETE")
                .route(read().to(silences::get))
                .route(web::delete().to(silences::expire)),
        )
        .service(
            resource("/api/channels", "GET, HEAD, POST")
                .route(read().to(channels::list))
                .route(web::post().to(channels::create)),
        )
        .service(
            resource("/api/channels/{id}", "GET, HEAD, PUT, PATCH, DELETE")
                .route(read().to(channels::get))
                .route(web::put().to(channels::replace))
                .route(web::patch().to(channels::patch))
                .route(web::delete().to(channels::delete)),
        )
        .service(resource("/api/channels/{id}/test", "POST").route(web::post().to(channels::test)))
        .service(
            resource("/api/agent-tokens", "GET, HEAD, POST")
                .route(read().to(agent_tokens::list))
                .route(web::post().to(agent_tokens::create)),
        )
        .service(
            resource("/api/agent-tokens/{id}", "GET, HEAD, DELETE")
                .route(read().to(agent_tokens::get))
                .route(web::delete().to(agent_tokens::revoke)),
        )
        .service(resource("/api/audit", "GET, HEAD").route(read().to(audit::list)))
        .service(resource("/api/openapi.json", "GET, HEAD").route(read().to(api::openapi)))
        .service(resource("/api/meta", "GET, HEAD").route(read().to(meta::get)))
        .service(
            resource("/api/session", "GET, HEAD, POST, DELETE")
                .route(read().to(access::session))
                .route(web::post().to(access::sign_in))
                .route(web::delete().to(access::sign_out)),
        )
        .route("/api/{tail:.*}", web::route().to(api::unknown_api))
        .service(resource("/ws", "GET").route(web::get().to(ws::connect)))
        .service(resource("/install.sh", "GET, HEAD").route(read().to(install::script)))
        .service(resource("/download/sysmonstm-agent", "GET, HEAD").route(read().to(install::binary)))
        .service(resource("/download/sysmonstm-agent.sha256", "GET, HEAD").route(read().to(install::checksum)))
        .default_service(web::to(|request: HttpRequest| async move {
            match *request.method() {
                Method::GET | Method::HEAD => Ok(assets::serve(request).await),
                _ => Err(not_allowed(&request, "GET, HEAD")),
            }
        }));
}
