//! REST handlers. List answers join the summaries' pre-encoded JSON.

use std::sync::Arc;

use actix::Addr;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use sysmonstm_protocol::model::{HostInfo, MachineSummary, Sample};

use super::{ApiError, AppState};
use crate::actors::machine_session::{GetRecent, MachineSession};
use crate::actors::registry::{CountMachines, GetMachine, ListMachines};
use crate::events::MachineUpdate;
use crate::frames::json_array;

pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.registry.send(CountMachines).await {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "not ready", "error": "machine registry is not running" })),
    }
}

pub async fn stats(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let machines = state.registry.send(CountMachines).await?;
    Ok(HttpResponse::Ok().json(state.stats.report(machines)))
}

pub async fn list_machines(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let all = state.registry.send(ListMachines).await?;
    let body = json_array(all.iter().map(|u| &*u.summary_json));
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

/// `GET /api/machines/{id}`: the summary plus host info and the whole latest sample.
#[derive(Serialize)]
struct MachineDetail<'a> {
    #[serde(flatten)]
    summary: &'a MachineSummary,
    host: &'a HostInfo,
    latest: &'a Sample,
}

/// A known machine's latest state and session, or 404.
async fn find(
    state: &AppState,
    id: &str,
) -> Result<(Arc<MachineUpdate>, Addr<MachineSession>), ApiError> {
    state
        .registry
        .send(GetMachine(id.to_owned()))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no machine `{id}`")))
}

pub async fn get_machine(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (update, _) = find(&state, &id).await?;
    Ok(HttpResponse::Ok().json(MachineDetail {
        summary: &update.summary,
        host: &update.host,
        latest: &update.latest,
    }))
}

/// `GET /api/machines/{id}/recent`: `{"points": [[ts, cpu, memory, seq], ...]}`, the last 5 minutes.
pub async fn recent(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, session) = find(&state, &id).await?;
    let points = session.send(GetRecent).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "machine_id": id.as_str(), "points": points })))
}

pub async fn unknown_api(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no API at {} {}",
        request.method(),
        request.path()
    )))
}
