//! `/api/silences` (list; create and expire with the admin token) and
//! `POST /api/alerts/{id}/ack`. Refusals as elsewhere: 413, 400, 422
//! naming the field (an end before the start, longer than a year, a rule
//! that does not exist, a time zone that is not one), 404, 409 for
//! acknowledging twice.

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::admin::{audit, read_json, require_admin};
use super::{ApiError, AppState};
use crate::actors::alert_engine::silences::{Acknowledge, CreateSilence, ExpireSilence, ListSilences, SilenceError};
use crate::alerts::engine::AckError;
use crate::alerts::input::{object, only_known};
use crate::audit::{Action, Actor};
use crate::field_error::FieldError;

/// Longest name a person gives with an acknowledgement or silence.
const MAX_BY: usize = 100;

impl From<SilenceError> for ApiError {
    fn from(e: SilenceError) -> Self {
        match e {
            SilenceError::Invalid(f) => ApiError::Invalid(f),
            SilenceError::NotFound(_) | SilenceError::Ack(AckError::NotFiring(_)) => ApiError::NotFound(e.to_string()),
            SilenceError::Ack(AckError::Already { .. }) => ApiError::Conflict(FieldError::new("id", e.to_string())),
            SilenceError::Store(m) => ApiError::Store(m),
        }
    }
}

/// Who did it: the name the body gives (`by`), with the admin token's fingerprint.
fn who(actor: &Actor, body: &Value, field: &str) -> Result<String, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(actor.id.clone()),
        Some(Value::String(name)) if !name.trim().is_empty() && name.len() <= MAX_BY => {
            Ok(format!("{} ({})", name.trim(), actor.id))
        }
        Some(_) => Err(ApiError::Invalid(FieldError::new(field, format!("must be a name of 1 to {MAX_BY} bytes")))),
    }
}

pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (now, mut silences) = state.alerts.send(ListSilences).await?;
    // Newest first.
    silences.reverse();
    Ok(HttpResponse::Ok().json(silences.iter().map(|s| s.view(now)).collect::<Vec<Value>>()))
}

pub async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (now, silences) = state.alerts.send(ListSilences).await?;
    let silence =
        silences.iter().find(|s| s.id == id).ok_or_else(|| ApiError::NotFound(format!("no silence `{id}`")))?;
    Ok(HttpResponse::Ok().json(silence.view(now)))
}

pub async fn create(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let actor = require_admin(&request, &state)?;
    let mut body = read_json(payload).await?;
    let created_by = who(&actor, &body, "created_by")?;
    if let Value::Object(map) = &mut body {
        map.remove("created_by");
    }
    let silence = state.alerts.send(CreateSilence { body, created_by }).await??;
    let view = silence.view(crate::now_ms());
    audit(&state, &actor, Action::SilenceCreate, &silence.id, view.clone()).await;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/silences/{}", silence.id))).json(view))
}

/// DELETE: the silence ends now; answers it, expired.
pub async fn expire(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = require_admin(&request, &state)?;
    let silence = state.alerts.send(ExpireSilence(id.into_inner())).await??;
    audit(&state, &actor, Action::SilenceExpire, &silence.id, json!({ "expired_at": silence.expired_at })).await;
    // As of its expiry: expired (the engine's clock may run apart from ours in tests).
    Ok(HttpResponse::Ok().json(silence.view(silence.expired_at.unwrap_or_else(crate::now_ms))))
}

/// `POST /api/alerts/{id}/ack` `{"comment", "by"}`: no more repeats.
pub async fn acknowledge(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let actor = require_admin(&request, &state)?;
    let body = read_json(payload).await?;
    let map = object(&body).map_err(ApiError::Invalid)?;
    only_known(map, &["comment", "by"]).map_err(ApiError::Invalid)?;
    let comment = match map.get("comment") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(c)) if c.len() <= 2000 => c.trim().to_owned(),
        Some(_) => return Err(ApiError::Invalid(FieldError::new("comment", "must be text of at most 2000 bytes"))),
    };
    let by = who(&actor, &body, "by")?;
    let alert = state.alerts.send(Acknowledge { alert_id: id.into_inner(), by, comment }).await??;
    audit(&state, &actor, Action::AlertAck, &alert.id, json!({ "acknowledged": alert.acknowledged })).await;
    Ok(HttpResponse::Ok().json(alert))
}
