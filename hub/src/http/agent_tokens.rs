//! `/api/agent-tokens`: agent tokens issued, listed and revoked with the
//! admin token. The secret is in the 201 answer to `POST` and nowhere
//! else; the store keeps its hash. Revoking ends the token's live streams
//! on this hub at once (others sharing the database within
//! `grpc::token_refresh::TOKEN_REFRESH`).

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde::Serialize;
use slog::info;

use super::admin::{audit, read_json, require_admin};
use super::{ApiError, AppState};
use crate::agent_tokens::{self, request, AgentToken, TokenView};
use crate::audit::Action;

fn view(token: &AgentToken, now_ms: i64) -> TokenView<'_> {
    TokenView { token, state: token.state(now_ms) }
}

/// `GET /api/agent-tokens`: every issued token, oldest first, revoked ones too.
pub async fn list(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&request, &state)?;
    let tokens = state.store.agent_tokens().await?;
    let now = crate::now_ms();
    Ok(HttpResponse::Ok().json(tokens.iter().map(|t| view(t, now)).collect::<Vec<_>>()))
}

/// `GET /api/agent-tokens/{id}`.
pub async fn get(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&request, &state)?;
    let tokens = state.store.agent_tokens().await?;
    let token = tokens.iter().find(|t| t.id == *id).ok_or_else(|| not_found(&id))?;
    Ok(HttpResponse::Ok().json(view(token, crate::now_ms())))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no agent token {id:?}"))
}

/// The answer to a create: the token and, this once, its secret.
#[derive(Serialize)]
struct Issued<'a> {
    #[serde(flatten)]
    view: TokenView<'a>,
    token: &'a str,
}

/// `POST /api/agent-tokens`: 201 with the secret, shown only here.
pub async fn create(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let actor = require_admin(&request, &state)?;
    let body = read_json(payload).await?;
    let now = crate::now_ms();
    let new = request::parse(&body, now).map_err(ApiError::Invalid)?;
    let (id, secret) = agent_tokens::new_secret();
    let token = new.issue(id, &secret, now);
    state.store.put_agent_token(&token).await?;
    state.tokens.insert(token.clone(), now);
    info!(state.log, "agent token issued"; "token_id" => &token.id, "machine_glob" => &token.machine_glob,
        "expires_at" => token.expires_at, "from" => request.peer_addr().map(|a| a.ip().to_string()));
    let shown = serde_json::to_value(view(&token, now)).unwrap_or_default();
    audit(&state, &actor, Action::TokenIssue, &token.id, shown).await;
    let location = format!("/api/agent-tokens/{}", token.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(Issued { view: view(&token, now), token: &secret }))
}

/// `DELETE /api/agent-tokens/{id}`: revokes (204; again: 204, the first
/// time kept). Streams on the token end; it is refused from then on.
pub async fn revoke(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = require_admin(&request, &state)?;
    let now = crate::now_ms();
    let token = state.store.revoke_agent_token(&id, now).await?.ok_or_else(|| not_found(&id))?;
    audit(&state, &actor, Action::TokenRevoke, &token.id, serde_json::json!({ "machine_glob": token.machine_glob }))
        .await;
    state.tokens.revoke(&token.id, now);
    info!(state.log, "agent token revoked"; "token_id" => &token.id, "machine_glob" => &token.machine_glob,
        "from" => request.peer_addr().map(|a| a.ip().to_string()));
    Ok(HttpResponse::NoContent().finish())
}
