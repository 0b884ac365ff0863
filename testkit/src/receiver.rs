//! An HTTP receiver on loopback answering as the services notifications go
//! to do (Slack, Discord, Telegram's Bot API, ntfy, Gotify, PagerDuty's
//! Events API v2, a webhook), recording every request whole: method,
//! path, headers, body. A request missing what the service needs is
//! answered as the service would (400 with its error), so a wrong shape
//! shows as a failed delivery, not only as a test assertion.

use std::collections::HashMap;
use std::convert::Infallible;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::wait::WAIT;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header names lowercased.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

pub struct Receiver {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    received: mpsc::UnboundedReceiver<Received>,
}

/// What the service at `path` answers to `body`.
fn answer(path: &str, body: &Value) -> (StatusCode, String) {
    let bad = |service_error: Value| (StatusCode::BAD_REQUEST, service_error.to_string());
    if path.contains("/bot") && path.ends_with("/sendMessage") {
        if !body["chat_id"].is_i64() || !body["text"].is_string() {
            return bad(
                json!({"ok": false, "error_code": 400, "description": "Bad Request: chat_id or text is empty"}),
            );
        }
        return (StatusCode::OK, json!({"ok": true, "result": {"message_id": 1}}).to_string());
    }
    if path.ends_with("/v2/enqueue") {
        if body["routing_key"].as_str().map(str::len) != Some(32) || !body["dedup_key"].is_string() {
            return bad(json!({"status": "invalid event", "message": "Event object is invalid"}));
        }
        let dedup = body["dedup_key"].clone();
        return (
            StatusCode::ACCEPTED,
            json!({"status": "success", "message": "Event processed", "dedup_key": dedup}).to_string(),
        );
    }
    if path.ends_with("/message") {
        if !body["message"].is_string() {
            return bad(json!({"error": "Bad Request", "errorCode": 400, "errorDescription": "message is required"}));
        }
        return (StatusCode::OK, json!({"id": 1, "message": body["message"]}).to_string());
    }
    if path.starts_with("/slack/") {
        return if body["text"].is_string() {
            (StatusCode::OK, "ok".into())
        } else {
            (StatusCode::BAD_REQUEST, "no_text".into())
        };
    }
    if path.starts_with("/discord/") {
        return if body["embeds"].is_array() || body["content"].is_string() {
            (StatusCode::NO_CONTENT, String::new())
        } else {
            bad(json!({"message": "Cannot send an empty message", "code": 50006}))
        };
    }
    if path == "/" && body["topic"].is_string() {
        return (StatusCode::OK, json!({"id": "x", "event": "message", "topic": body["topic"]}).to_string());
    }
    (StatusCode::OK, "{}".into())
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let (tx, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let tx = tx.clone();
                let serve = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let tx = tx.clone();
                    async move {
                        let method = request.method().to_string();
                        let path = request.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
                        let headers = request
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                            .collect();
                        let body =
                            request.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
                        let (status, text) = answer(&path, &serde_json::from_slice(&body).unwrap_or(Value::Null));
                        let _ = tx.send(Received { method, path, headers, body });
                        let mut response = Response::new(Full::new(Bytes::from(text)));
                        *response.status_mut() = status;
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(socket), serve));
            }
        });
        Receiver { base, received }
    }

    /// The next request, within [`WAIT`].
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(WAIT, self.received.recv()).await.expect("a request in time").expect("receiver open")
    }

    /// Whether a request came within `wait` (for "nothing was sent").
    pub async fn next_within(&mut self, wait: std::time::Duration) -> Option<Received> {
        tokio::time::timeout(wait, self.received.recv()).await.ok().flatten()
    }
}
