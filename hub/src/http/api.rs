//! REST handlers. List answers join the summaries' pre-encoded JSON.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use slog::info;
use sysmonstm_protocol::model::{HostInfo, MachineSummary, Sample};

use super::admin::{audit, read_json, require_admin};
use super::{ApiError, AppState};
use crate::actors::registry::{
    ApplySettings, CountMachines, Forget, ForgetRefused, GetMachine, ListMachines, PatchRefused, PatchSettings,
    RecentOf, SettingsOf,
};
use crate::audit::Action;
use crate::events::{Forgotten, MachineUpdate};
use crate::field_error::FieldError;
use crate::frames::json_array;
use crate::labels;
use crate::store::history;

pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// How long `/ready` waits for the store to answer.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.describe();
    let ping = tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await;
    let problem = match (ping, state.store_status.health.error()) {
        (Err(_), _) => Some(format!("store {store} did not answer within {}s", READY_TIMEOUT.as_secs())),
        (Ok(Err(e)), _) => Some(format!("store {store}: {e}")),
        (Ok(Ok(())), Some(e)) => Some(format!("store {store}: writes failing: {e}")),
        (Ok(Ok(())), None) => None,
    };
    if state.registry.send(CountMachines).await.is_err() {
        return HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "not ready", "error": "machine registry is not running" }));
    }
    // Redis down leaves this hub working alone (its agents, its store):
    // still ready, but it says so.
    let redis = state.redis_health.as_ref().map(|status| match status.error() {
        None => serde_json::json!({ "ok": true }),
        Some(error) => serde_json::json!({ "ok": false, "error": format!("redis: {error}") }),
    });
    match problem {
        None => HttpResponse::Ok().json(serde_json::json!({ "status": "ready", "store": store, "redis": redis })),
        Some(error) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "not ready", "store": store, "error": error, "redis": redis })),
    }
}

pub async fn stats(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let machines = state.registry.send(CountMachines).await?;
    Ok(HttpResponse::Ok().json(state.stats.report(machines, &state.store_status)))
}

/// Query parameters of `GET /api/machines`.
#[derive(serde::Deserialize)]
pub struct MachineParams {
    /// `env=prod,role!=db,gpu`: machines whose labels meet every condition.
    label: Option<String>,
}

pub async fn list_machines(
    state: web::Data<AppState>,
    params: web::Query<MachineParams>,
) -> Result<HttpResponse, ApiError> {
    let selector = match params.label.as_deref() {
        Some(text) => labels::parse_selector("label", text).map_err(ApiError::BadParam)?,
        None => Vec::new(),
    };
    let all = state.registry.send(ListMachines).await?;
    let chosen = all.iter().filter(|u| labels::all_match(&selector, &u.summary.labels));
    let body = json_array(chosen.map(|u| &*u.summary_json));
    Ok(HttpResponse::Ok().content_type("application/json").body(body))
}

/// `GET /api/machines/{id}`: the summary plus host info, the whole latest
/// sample and what operators set at the hub (`settings`: labels, display
/// name, interval; the agent's own labels are in `host`).
#[derive(Serialize)]
struct MachineDetail<'a> {
    #[serde(flatten)]
    summary: &'a MachineSummary,
    host: &'a HostInfo,
    latest: &'a Sample,
    settings: serde_json::Value,
}

/// A known machine's latest state, or 404.
async fn find(state: &AppState, id: &str) -> Result<Arc<MachineUpdate>, ApiError> {
    state.registry.send(GetMachine(id.to_owned())).await?.ok_or_else(|| ApiError::no_machine(id))
}

pub async fn get_machine(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let update = find(&state, &id).await?;
    let settings = state.registry.send(SettingsOf(id.to_string())).await?.view();
    Ok(HttpResponse::Ok().json(MachineDetail {
        summary: &update.summary,
        host: &update.host,
        latest: &update.latest,
        settings,
    }))
}

/// Query parameters of `DELETE /api/machines/{id}`.
#[derive(serde::Deserialize)]
pub struct DeleteParams {
    force: Option<String>,
    purge: Option<String>,
}

impl DeleteParams {
    /// (force, purge history), or what is wrong.
    fn parse(&self) -> Result<(bool, bool), FieldError> {
        let force = match self.force.as_deref() {
            None | Some("false") => false,
            Some("true") | Some("") => true,
            Some(other) => {
                return Err(FieldError::new("force", format!("`{other}`: write force=true or leave it out")))
            }
        };
        let purge = match self.purge.as_deref() {
            None => false,
            Some("history") => true,
            Some(other) => {
                return Err(FieldError::new("purge", format!("`{other}`: the only thing to purge is `history`")))
            }
        };
        Ok((force, purge))
    }
}

/// `DELETE /api/machines/{id}[?force=true][&purge=history]` (admin token):
/// forgets a machine. An online one is refused (409) unless `force`, which
/// ends its agent's stream; `purge=history` deletes its samples and
/// rollups too. Its alerts resolve; viewers drop it at once.
pub async fn delete_machine(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<DeleteParams>,
) -> Result<HttpResponse, ApiError> {
    let actor = require_admin(&request, &state)?;
    let (force, purge_history) = params.parse().map_err(ApiError::BadParam)?;
    let machine_id = id.into_inner();
    let (forgotten, outcome) = Forgotten::channel();
    let forget = Forget { machine_id: machine_id.clone(), force, purge_history, forgotten };
    let was = state.registry.send(forget).await?.map_err(|refused| match refused {
        ForgetRefused::UnknownMachine => ApiError::no_machine(&machine_id),
        ForgetRefused::Online => ApiError::Conflict(FieldError::new(
            "force",
            format!("{machine_id} is online; stop its agent first, or add ?force=true to end its stream"),
        )),
        ForgetRefused::OnlineElsewhere(hub) => ApiError::Conflict(FieldError::new(
            "force",
            format!("{machine_id} streams to hub {hub}; remove it there, where its stream can be ended"),
        )),
    })?;
    let stored = outcome.await.map_err(|_| ApiError::Unavailable)?;
    let was = serde_json::to_value(was).unwrap_or_default();
    info!(state.log, "machine removed"; "machine_id" => &machine_id, "was" => was.as_str(),
        "history" => if purge_history { "deleted" } else { "kept" },
        "from" => request.peer_addr().map(|a| a.ip().to_string()));
    let detail = serde_json::json!({ "force": force, "purge_history": purge_history,
        "was": was, "store": stored.as_ref().err() });
    audit(&state, &actor, Action::MachineRemove, &machine_id, detail).await;
    stored.map_err(|e| ApiError::Store(format!("{e}; the hub keeps trying to forget {machine_id}")))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "machine_id": machine_id,
        "removed": true,
        "history": if purge_history { "deleted" } else { "kept" },
    })))
}

/// `PATCH /api/machines/{id}` (admin token): a JSON merge patch of the
/// machine's hub-side `labels` (a label set to null is removed) and
/// `display_name`. Answers the machine's summary as it now is; viewers see
/// it at once. Refused patches change nothing.
pub async fn patch_machine(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let actor = require_admin(&request, &state)?;
    let body = read_json(payload).await?;
    let machine_id = id.into_inner();
    let patch = PatchSettings { machine_id: machine_id.clone(), body: body.clone() };
    let (before, after) = state.registry.send(patch).await?.map_err(|refused| match refused {
        PatchRefused::UnknownMachine => ApiError::no_machine(&machine_id),
        PatchRefused::Invalid(e) => ApiError::Invalid(e),
    })?;
    let stored = state.store.put_machine_settings(&machine_id, &after).await;
    let kept = if stored.is_ok() { after } else { before };
    let update = state.registry.send(ApplySettings { machine_id: machine_id.clone(), settings: kept }).await?;
    stored?;
    audit(&state, &actor, Action::MachineUpdate, &machine_id, body).await;
    info!(state.log, "machine settings changed"; "machine_id" => &machine_id,
        "from" => request.peer_addr().map(|a| a.ip().to_string()));
    let update = update.ok_or_else(|| ApiError::no_machine(&machine_id))?;
    Ok(HttpResponse::Ok().content_type("application/json").body(update.summary_json.get().to_owned()))
}

/// `GET /api/machines/{id}/recent`: `{"points": [[ts, cpu, memory, seq], ...]}`, the last 5 minutes.
pub async fn recent(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let points = state.registry.send(RecentOf(id.to_string())).await?.ok_or_else(|| ApiError::no_machine(&id))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "machine_id": id.as_str(), "points": points })))
}

/// The OpenAPI description of this API (hand-written, checked by tests).
pub const OPENAPI: &str = include_str!("openapi.json");

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(OPENAPI)
}

pub async fn unknown_api(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("no API at {} {}", request.method(), request.path())))
}

/// Query parameters of `GET /api/machines/{id}/history`.
#[derive(serde::Deserialize)]
pub struct HistoryParams {
    metrics: Option<String>,
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
}

/// `GET /api/machines/{id}/history?metrics=…&from=…&to=…&step=auto|raw|1m|1h`.
pub async fn history(
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<HistoryParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let plan = history::plan(p.metrics.as_deref(), p.from.as_deref(), p.to.as_deref(), p.step.as_deref(), None)
        .map_err(ApiError::BadParam)?;
    let known_live = state.registry.send(GetMachine(id.to_string())).await?.is_some();
    if !known_live && !state.store.has_machine(&id).await? {
        return Err(ApiError::no_machine(&id));
    }
    let points = state.store.history(&id, &plan).await?;
    let points: Vec<serde_json::Value> = points
        .into_iter()
        .map(|(ts, values)| {
            let mut row = Vec::with_capacity(values.len() + 1);
            row.push(serde_json::Value::from(ts));
            row.extend(values.into_iter().map(|v| v.map_or(serde_json::Value::Null, serde_json::Value::from)));
            serde_json::Value::Array(row)
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "machine_id": id.as_str(),
        "resolution": plan.resolution,
        "bucket_ms": plan.bucket_ms,
        "from": plan.from_ms,
        "to": plan.to_ms,
        "metrics": plan.metrics,
        "points": points,
    })))
}
