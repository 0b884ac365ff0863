//! Reading with `--viewer-token`: the live feed, the API and `/metrics`
//! need the viewer (or admin) token, as `Authorization: Bearer …` or as the
//! `sysmonstm_viewer` cookie a browser gets from `POST /api/session`.
//! `/health`, `/ready`, the dashboard's files and `/api/session` stay open:
//! they carry no fleet data, and the page needs them to ask for the token.
//!
//! Wrong tokens count toward the same per-address lockout as admin tokens.

use actix_web::body::MessageBody;
use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde::Serialize;
use sysmonstm_protocol::token;

use super::admin::read_json;
use super::{ApiError, AppState};
use crate::field_error::FieldError;

/// The cookie a signed-in browser sends.
pub const VIEWER_COOKIE: &str = "sysmonstm_viewer";
/// How long a browser stays signed in.
const COOKIE_AGE: CookieAge = CookieAge::days(30);

/// Paths that need a token when `--viewer-token` is set.
pub fn is_protected(path: &str) -> bool {
    // The page needs its session and the server's meta before signing in.
    path == "/ws" || path == "/metrics" || (path.starts_with("/api/") && path != "/api/session" && path != "/api/meta")
}

/// What the request presents: its bearer token, else its cookie.
fn presented(request: &HttpRequest) -> Option<String> {
    let bearer = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(token::bearer);
    bearer.map(str::to_owned).or_else(|| request.cookie(VIEWER_COOKIE).map(|c| c.value().to_owned()))
}

/// Checks a presented token, counting wrong ones toward the lockout.
fn check(request: &HttpRequest, state: &AppState, given: &str) -> Result<(), ApiError> {
    let accepted = state.readers.grants(given);
    match state.lockout.attempt(request.peer_addr().map(|a| a.ip()), std::time::Instant::now(), accepted) {
        Err(wait) => Err(ApiError::LockedOut(wait.as_secs_f64().ceil() as u64)),
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::Unauthorized("wrong viewer token")),
    }
}

/// Middleware: protected paths need the viewer token when one is set.
pub async fn gate(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if is_protected(request.path()) {
        let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
            return Err(ApiError::Unavailable.into());
        };
        if state.readers.required() {
            match presented(request.request()) {
                None => {
                    return Err(ApiError::Unauthorized(
                        "reading needs the viewer token: `Authorization: Bearer <token>`, or sign in on the dashboard",
                    )
                    .into())
                }
                Some(given) => check(request.request(), &state, &given)?,
            }
        }
    }
    next.call(request).await
}

#[derive(Serialize)]
pub struct SessionState {
    /// Whether this hub asks for a viewer token at all.
    viewer_token_required: bool,
    /// Whether this request may read (always, without a viewer token).
    signed_in: bool,
}

/// `GET /api/session`: does the page need to ask for a token?
pub async fn session(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let required = state.readers.required();
    let signed_in = !required || presented(&request).is_some_and(|given| state.readers.grants(&given));
    HttpResponse::Ok().json(SessionState { viewer_token_required: required, signed_in })
}

/// `POST /api/session` `{"token": "…"}`: sets the cookie when the token is right.
pub async fn sign_in(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(payload).await?;
    let given = body
        .get("token")
        .and_then(|t| t.as_str())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::BadParam(FieldError::new("token", "send {\"token\": \"<viewer token>\"}")))?;
    if !state.readers.required() {
        return Ok(HttpResponse::NoContent().finish());
    }
    check(&request, &state, given)?;
    let cookie = Cookie::build(VIEWER_COOKIE, given.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(COOKIE_AGE)
        .finish();
    Ok(HttpResponse::NoContent().cookie(cookie).finish())
}

/// `DELETE /api/session`: forgets the cookie.
pub async fn sign_out() -> HttpResponse {
    let mut cookie = Cookie::build(VIEWER_COOKIE, "").path("/").finish();
    cookie.make_removal();
    HttpResponse::NoContent().cookie(cookie).finish()
}

#[cfg(test)]
mod tests {
    use super::is_protected;

    #[test]
    fn data_paths_are_protected_and_probes_are_not() {
        for path in ["/ws", "/metrics", "/api/machines", "/api/machines/a/history", "/api/rules", "/api/stats"] {
            assert!(is_protected(path), "{path}");
        }
        for path in ["/health", "/ready", "/", "/js/app.js", "/style.css", "/api/session", "/api/meta"] {
            assert!(!is_protected(path), "{path}");
        }
    }
}
