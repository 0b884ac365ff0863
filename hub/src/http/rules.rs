//! `/api/rules` (CRUD, admin token for changes) and `/api/alerts`.
//!
//! Bodies are read by hand so every refusal is JSON: over 64 KiB → 413, not
//! JSON → 400, a field that fails validation → 422 naming the field, a stale
//! `version` → 409. A refused request changes nothing.

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use futures::StreamExt;
use serde_json::Value;

use super::{ApiError, AppState};
use crate::actors::alert_engine::{CreateRule, DeleteRule, GetRule, ListRules, RuleError, UpdateRule};
use crate::admin_token;
use crate::alerts::engine::AlertState;
use crate::field_error::FieldError;
use crate::store::history::parse_time;
use crate::store::AlertQuery;

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;
/// Default and largest `limit` of `/api/alerts`.
const DEFAULT_ALERTS: i64 = 100;
const MAX_ALERTS: i64 = 1000;

impl From<RuleError> for ApiError {
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::Invalid(f) => ApiError::Invalid(f),
            RuleError::NotFound(_) => ApiError::NotFound(e.to_string()),
            RuleError::Conflict { .. } => ApiError::Conflict(e.to_string()),
            RuleError::Store(m) => ApiError::Store(m),
        }
    }
}

fn require_admin(request: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized("changes need `Authorization: Bearer <admin token>`"))?;
    let accepted = admin_token::matches(presented.trim(), &state.admin_token);
    match state.lockout.attempt(request.peer_addr().map(|a| a.ip()), std::time::Instant::now(), accepted) {
        Err(wait) => Err(ApiError::LockedOut(wait.as_secs_f64().ceil() as u64)),
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::Unauthorized("wrong admin token")),
    }
}

/// Reads at most MAX_BODY bytes of JSON.
pub(super) async fn read_json(mut payload: web::Payload) -> Result<Value, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadJson(e.to_string()))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::TooLarge(MAX_BODY));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| ApiError::BadJson(e.to_string()))
}

pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.alerts.send(ListRules).await?))
}

pub async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.alerts.send(GetRule(id.into_inner())).await??))
}

pub async fn create(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_admin(&request, &state)?;
    let body = read_json(payload).await?;
    let rule = state.alerts.send(CreateRule(body)).await??;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/rules/{}", rule.id))).json(rule))
}

async fn update(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: String,
    payload: web::Payload,
    merge: bool,
) -> Result<HttpResponse, ApiError> {
    require_admin(&request, &state)?;
    let body = read_json(payload).await?;
    Ok(HttpResponse::Ok().json(state.alerts.send(UpdateRule { id, body, merge }).await??))
}

pub async fn replace(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    update(request, state, id.into_inner(), payload, false).await
}

pub async fn patch(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    update(request, state, id.into_inner(), payload, true).await
}

pub async fn delete(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&request, &state)?;
    state.alerts.send(DeleteRule(id.into_inner())).await??;
    Ok(HttpResponse::NoContent().finish())
}

/// Query parameters of `GET /api/alerts`.
#[derive(serde::Deserialize)]
pub struct AlertParams {
    state: Option<String>,
    machine: Option<String>,
    since: Option<String>,
    limit: Option<String>,
}

/// `GET /api/alerts?state=firing|resolved|all&machine=…&since=…&limit=…`, newest first.
pub async fn alerts(state: web::Data<AppState>, params: web::Query<AlertParams>) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let bad = |field: &'static str, message: String| ApiError::BadParam(FieldError::new(field, message));
    let alert_state = match p.state.as_deref().unwrap_or("all") {
        "all" => None,
        "firing" => Some(AlertState::Firing),
        "resolved" => Some(AlertState::Resolved),
        other => return Err(bad("state", format!("unknown state `{other}`; use firing, resolved or all"))),
    };
    let since = p.since.as_deref().map(|s| parse_time("since", s)).transpose().map_err(ApiError::BadParam)?;
    let limit = match p.limit.as_deref() {
        None => DEFAULT_ALERTS,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=MAX_ALERTS).contains(&n) => n,
            _ => return Err(bad("limit", format!("`{text}` is not a number from 1 to {MAX_ALERTS}"))),
        },
    };
    let query = AlertQuery { state: alert_state, machine: p.machine, since, limit };
    let found = state.store.alerts(&query).await.map_err(|e| ApiError::Store(e.to_string()))?;
    Ok(HttpResponse::Ok().json(found))
}
