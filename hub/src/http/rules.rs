//! `/api/rules` (CRUD, admin token for changes), `/api/alerts` and
//! `/api/alerts/{id}` (with its delivery log).
//!
//! Bodies are read by hand so every refusal is JSON: over 64 KiB → 413, not
//! JSON → 400, a field that fails validation → 422 naming the field, a stale
//! `version` → 409. A refused request changes nothing.

use actix_web::{http::header, web, HttpRequest, HttpResponse};

use super::admin::{audit, read_json, require_admin};
use super::{ApiError, AppState};
use crate::actors::alert_engine::{CreateRule, DeleteRule, GetRule, ListRules, RuleError, UpdateRule};
use crate::alerts::engine::AlertState;
use crate::audit::Action;
use crate::field_error::FieldError;
use crate::store::AlertQuery;
use crate::when::parse_time;

/// Default and largest `limit` of `/api/alerts`.
const DEFAULT_ALERTS: i64 = 100;
const MAX_ALERTS: i64 = 1000;

impl From<RuleError> for ApiError {
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::Invalid(f) => ApiError::Invalid(f),
            RuleError::NotFound(_) => ApiError::NotFound(e.to_string()),
            RuleError::Conflict { .. } => {
                ApiError::Conflict(crate::field_error::FieldError::new("version", e.to_string()))
            }
            RuleError::Store(m) => ApiError::Store(m),
        }
    }
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
    let actor = require_admin(&request, &state)?;
    let body = read_json(payload).await?;
    let rule = state.alerts.send(CreateRule(body)).await??;
    audit(&state, &actor, Action::RuleCreate, &rule.id, serde_json::to_value(&rule).unwrap_or_default()).await;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/rules/{}", rule.id))).json(rule))
}

async fn update(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: String,
    payload: web::Payload,
    merge: bool,
) -> Result<HttpResponse, ApiError> {
    let actor = require_admin(&request, &state)?;
    let body = read_json(payload).await?;
    let rule = state.alerts.send(UpdateRule { id, body: body.clone(), merge }).await??;
    let detail = serde_json::json!({ if merge { "patch" } else { "replacement" }: body, "version": rule.version });
    audit(&state, &actor, Action::RuleUpdate, &rule.id, detail).await;
    Ok(HttpResponse::Ok().json(rule))
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
    let actor = require_admin(&request, &state)?;
    let id = id.into_inner();
    state.alerts.send(DeleteRule(id.clone())).await??;
    audit(&state, &actor, Action::RuleDelete, &id, serde_json::json!({})).await;
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
    let query = AlertQuery { state: alert_state, machine: p.machine, since, limit, id: None };
    let found = state.store.alerts(&query).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// `GET /api/alerts/{id}`: the alert and every delivery attempt of it.
pub async fn alert(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let query = AlertQuery { id: Some(id.clone()), limit: 1, ..AlertQuery::default() };
    let alert =
        state.store.alerts(&query).await?.pop().ok_or_else(|| ApiError::NotFound(format!("no alert `{id}`")))?;
    let deliveries = state.store.deliveries(&id).await?;
    let mut body = serde_json::to_value(&alert).unwrap_or_default();
    body["deliveries"] = serde_json::to_value(deliveries).unwrap_or_default();
    Ok(HttpResponse::Ok().json(body))
}
