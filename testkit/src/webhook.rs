//! Webhook receivers on loopback, for the notifier's tests: one that fails
//! the first requests and then takes them ([`WebhookSink`]), one that
//! accepts connections and never answers ([`hanging`]).

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A receiver answering 500 to its first `failures` requests, then 200.
pub struct WebhookSink {
    /// Where to send (`http://127.0.0.1:PORT/hook`).
    pub url: String,
    /// Every request's answer and JSON body (Null when not JSON), in order.
    pub received: mpsc::UnboundedReceiver<(u16, Value)>,
}

impl WebhookSink {
    pub async fn start(failures: usize) -> WebhookSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().expect("addr").port());
        let (tx, received) = mpsc::unbounded_channel();
        let served = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (tx, served) = (tx.clone(), served.clone());
                let answer = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let (tx, served) = (tx.clone(), served.clone());
                    async move {
                        let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        let status = if served.fetch_add(1, Ordering::SeqCst) < failures {
                            StatusCode::INTERNAL_SERVER_ERROR
                        } else {
                            StatusCode::OK
                        };
                        let _ = tx.send((status.as_u16(), serde_json::from_slice(&body).unwrap_or(Value::Null)));
                        let mut response = Response::new(Empty::<Bytes>::new());
                        *response.status_mut() = status;
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(socket), answer));
            }
        });
        WebhookSink { url, received }
    }
}

/// An endpoint that accepts connections and never answers: its URL, and a
/// message for every connection it accepted.
pub async fn hanging() -> (String, mpsc::UnboundedReceiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().expect("addr").port());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
            let _ = tx.send(());
        }
    });
    (url, rx)
}
