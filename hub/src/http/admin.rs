//! What every REST change goes through: the admin token
//! (`Authorization: Bearer …`, wrong ones counted toward the per-address
//! lockout), a JSON body of bounded size, every refusal as JSON, and an
//! entry in the audit log once the change is made.

use actix_web::{http::header, web, HttpRequest};
use futures::StreamExt;
use serde_json::Value;
use slog::warn;

use super::{ApiError, AppState};
use crate::admin_token;
use crate::audit::{Action, Actor, AuditEntry};

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// Who is asking, when the request carries the admin token.
pub(super) fn require_admin(request: &HttpRequest, state: &AppState) -> Result<Actor, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized("changes need `Authorization: Bearer <admin token>`"))?;
    let accepted = admin_token::matches(presented.trim(), &state.admin_token);
    match state.lockout.attempt(request.peer_addr().map(|a| a.ip()), std::time::Instant::now(), accepted) {
        Err(wait) => Err(ApiError::LockedOut(wait.as_secs_f64().ceil() as u64)),
        Ok(true) => Ok(Actor::admin(&state.admin_token, request.peer_addr().map(|a| a.ip().to_string()))),
        Ok(false) => Err(ApiError::Unauthorized("wrong admin token")),
    }
}

/// Records a change that was made. A store failure does not undo the
/// change: the entry then goes to the log, whole.
pub(super) async fn audit(state: &AppState, actor: &Actor, action: Action, target: &str, detail: Value) {
    let entry = AuditEntry::new(actor, action, target, detail, crate::now_ms());
    if let Err(e) = state.store.put_audit(&entry).await {
        warn!(state.log, "cannot record an admin change in the audit log"; "error" => %e,
            "actor" => &entry.actor, "address" => &entry.address, "action" => entry.action.name(),
            "target" => &entry.target, "detail" => entry.detail.to_string());
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
