//! The one-line agent install: `GET /install.sh` (the script, filled in for
//! this hub and the host the machine reached it by), `GET
//! /download/sysmonstm-agent` (the binary) and `GET
//! /download/sysmonstm-agent.sha256` (its sum, `sha256sum` format). No
//! token is needed: neither holds a secret (the agent token travels on the
//! command line the dashboard shows).

use actix_files::NamedFile;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{web, HttpRequest, HttpResponse};

use super::error::ApiError;
use super::AppState;
use crate::agent_binary::{AgentBinaryError, FILE_NAME};
use crate::field_error::FieldError;
use crate::install;

/// `GET /install.sh`.
pub async fn script(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let info = request.connection_info();
    let advertised =
        install::advertised(state.public_url.as_deref(), info.scheme(), info.host(), state.grpc_port, state.grpc_tls)
            .map_err(|e| ApiError::BadParam(FieldError::new("host", e.to_string())))?;
    Ok(HttpResponse::Ok()
        .content_type("text/x-shellscript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(install::script(&advertised, install::arch())))
}

/// `GET /download/sysmonstm-agent`.
pub async fn binary(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.agent_binary.size().map_err(unavailable)?;
    let file = NamedFile::open_async(state.agent_binary.path())
        .await
        .map_err(|source| unavailable(AgentBinaryError::Unreadable { path: state.agent_binary.path().into(), source }))?
        .set_content_type(actix_web::mime::APPLICATION_OCTET_STREAM)
        .set_content_disposition(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(FILE_NAME.into())],
        });
    Ok(file.into_response(&request))
}

/// `GET /download/sysmonstm-agent.sha256`.
pub async fn checksum(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let binary = state.agent_binary.clone();
    let sum = web::block(move || binary.sha256()).await.map_err(|_| ApiError::Unavailable)?.map_err(unavailable)?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(format!("{sum}  {FILE_NAME}\n")))
}

fn unavailable(e: AgentBinaryError) -> ApiError {
    ApiError::NotFound(e.to_string())
}
