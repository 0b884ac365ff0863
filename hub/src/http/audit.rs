//! `GET /api/audit` (admin token): the audit log, newest first.

use actix_web::{web, HttpRequest, HttpResponse};

use super::admin::require_admin;
use super::{ApiError, AppState};
use crate::audit::AuditQuery;

/// Query parameters of `GET /api/audit`.
#[derive(serde::Deserialize)]
pub struct AuditParams {
    limit: Option<String>,
    before: Option<String>,
    action: Option<String>,
    target: Option<String>,
}

pub async fn list(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&request, &state)?;
    let p = params.into_inner();
    let query = AuditQuery::parse(p.limit.as_deref(), p.before.as_deref(), p.action.as_deref(), p.target.as_deref())
        .map_err(ApiError::BadParam)?;
    Ok(HttpResponse::Ok().json(state.store.audit(&query).await?))
}
