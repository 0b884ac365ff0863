//! API errors: a JSON body `{"error": ..., "field": ...}` with the right status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::field_error::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    /// A query parameter or body field that does not parse (400).
    #[error("{}", .0.message)]
    BadParam(FieldError),
    #[error("the store failed: {0}")]
    Store(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the body is not JSON: {0}")]
    BadJson(String),
    /// A field that parses and fails validation (422).
    #[error("{0}")]
    Invalid(FieldError),
    /// The change cannot be made as things stand (409); the field says what to change.
    #[error("{}", .0.message)]
    Conflict(FieldError),
    #[error("the hub is shutting down")]
    Unavailable,
    #[error("too many wrong tokens from this address; try again in {0} s")]
    LockedOut(u64),
    #[error("{method} is not allowed on {path}; it takes {allow}")]
    MethodNotAllowed { method: String, path: String, allow: &'static str },
}

#[derive(Serialize)]
struct Body<'a> {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadParam(_) => StatusCode::BAD_REQUEST,
            ApiError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BadJson(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::LockedOut(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let field = match self {
            ApiError::BadParam(e) | ApiError::Invalid(e) | ApiError::Conflict(e) => Some(e.field.as_str()),
            ApiError::BadJson(_) | ApiError::TooLarge(_) => Some("body"),
            _ => None,
        };
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let ApiError::LockedOut(seconds) = self {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        if let ApiError::MethodNotAllowed { allow, .. } = self {
            response.insert_header(("Allow", *allow));
        }
        response.json(Body { error: self.to_string(), field })
    }
}

/// A query string that does not parse (`?state=a&state=b`, `?limit=x`):
/// 400 naming the parameter when the parser says which.
pub fn bad_query(error: actix_web::error::QueryPayloadError) -> ApiError {
    let message = error.to_string();
    // serde names the field in backquotes: "duplicate field `state`", "invalid digit … for `limit`".
    let field = message.split('`').nth(1).unwrap_or("query").to_owned();
    ApiError::BadParam(FieldError::new(field, format!("bad query string: {message}")))
}

/// A path segment that does not parse: 400 naming the segment.
pub fn bad_path(error: actix_web::error::PathError) -> ApiError {
    ApiError::BadParam(FieldError::new("path", format!("bad path: {error}")))
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Store(e.to_string())
    }
}

impl ApiError {
    /// 404 for a machine id the hub does not know.
    pub fn no_machine(id: &str) -> ApiError {
        ApiError::NotFound(format!("no machine `{id}`"))
    }
}

impl From<actix::MailboxError> for ApiError {
    fn from(_: actix::MailboxError) -> Self {
        ApiError::Unavailable
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    async fn body(error: ApiError) -> (u16, serde_json::Value, Option<String>) {
        let response = error.error_response();
        let status = response.status().as_u16();
        let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = to_bytes(response.into_body()).await.expect("body");
        (status, serde_json::from_slice(&bytes).expect("JSON"), allow)
    }

    #[actix_web::test]
    async fn query_errors_name_the_parameter() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Params {
            state: Option<String>,
            limit: Option<u32>,
        }
        for (query, field) in [("state=a&state=b", "state"), ("limit=x", "query"), ("limit=-1", "query")] {
            let error = actix_web::web::Query::<Params>::from_query(query).expect_err(query);
            let (status, json, _) = body(bad_query(error)).await;
            assert_eq!(status, 400, "{query}");
            assert_eq!(json["field"], field, "{query}: {json}");
            assert!(json["error"].as_str().is_some_and(|e| e.starts_with("bad query string")), "{json}");
        }
    }

    #[actix_web::test]
    async fn a_method_not_allowed_says_which_are() {
        let error = ApiError::MethodNotAllowed { method: "PUT".into(), path: "/api/rules".into(), allow: "GET, POST" };
        let (status, json, allow) = body(error).await;
        assert_eq!((status, allow.as_deref()), (405, Some("GET, POST")));
        assert!(json["error"].as_str().is_some_and(|e| e.contains("PUT") && e.contains("GET, POST")), "{json}");
    }
}
