//! `/api/channels` (notification channels: list, create, get, replace,
//! merge, delete) and `/api/channels/{id}/test`. Everything here needs the
//! admin token, reads too: a channel says where alerts go and to whom.
//! Answers show [`Channel::view`]s, never a secret. Refusals as for rules:
//! 413, 400, 422 naming the field, 409 for a stale `version` or deleting a
//! channel a rule names (the rules are named).

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::admin::{audit, read_json, require_admin};
use super::{ApiError, AppState};
use crate::actors::alert_engine::channels::{CreateChannel, DeleteChannel, GetChannel, ListChannels, UpdateChannel};
use crate::actors::alert_engine::ChannelError;
use crate::actors::notifier::TestChannel;
use crate::alerts::channel::Channel;
use crate::audit::Action;
use crate::field_error::FieldError;

impl From<ChannelError> for ApiError {
    fn from(e: ChannelError) -> Self {
        match e {
            ChannelError::Invalid(f) => ApiError::Invalid(f),
            ChannelError::NotFound(_) => ApiError::NotFound(e.to_string()),
            ChannelError::Conflict { .. } => ApiError::Conflict(FieldError::new("version", e.to_string())),
            ChannelError::InUse { .. } => ApiError::Conflict(FieldError::new("rules", e.to_string())),
            ChannelError::Store(m) => ApiError::Store(m),
        }
    }
}

pub async fn list(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&request, &state)?;
    let channels = state.alerts.send(ListChannels).await?;
    Ok(HttpResponse::Ok().json(channels.iter().map(|c| c.view()).collect::<Vec<Value>>()))
}

pub async fn get(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&request, &state)?;
    Ok(HttpResponse::Ok().json(state.alerts.send(GetChannel(id.into_inner())).await??.view()))
}

pub async fn create(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let actor = require_admin(&request, &state)?;
    let body = read_json(payload).await?;
    let channel = state.alerts.send(CreateChannel(body)).await??;
    audit(&state, &actor, Action::ChannelCreate, &channel.id, channel.view()).await;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/channels/{}", channel.id)))
        .json(channel.view()))
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
    let channel: Channel = state.alerts.send(UpdateChannel { id, body, merge }).await??;
    // The result, not the body: the body may hold a secret.
    let detail = json!({ "how": if merge { "patch" } else { "replace" }, "channel": channel.view() });
    audit(&state, &actor, Action::ChannelUpdate, &channel.id, detail).await;
    Ok(HttpResponse::Ok().json(channel.view()))
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
    let deleted = state.alerts.send(DeleteChannel(id.into_inner())).await??;
    audit(&state, &actor, Action::ChannelDelete, &deleted.id, json!({ "channel": deleted.view() })).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Sends a test message once; answers `{ok, error, took_ms}` (200 either
/// way: the test ran, and says how it went).
pub async fn test(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = require_admin(&request, &state)?;
    let channel = state.alerts.send(GetChannel(id.into_inner())).await??;
    let outcome = state.notifier.send(TestChannel(channel.clone())).await?;
    audit(&state, &actor, Action::ChannelTest, &channel.id, json!({ "ok": outcome.ok, "error": outcome.error })).await;
    Ok(HttpResponse::Ok().json(outcome))
}
