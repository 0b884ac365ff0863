//! A static file server on loopback (a download mirror for the install
//! script's tests): `GET /NAME` answers the file `dir/NAME`, 404 otherwise.

use std::convert::Infallible;
use std::path::PathBuf;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Serves `dir` until the test ends; returns its base URL.
pub async fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let dir = dir.clone();
            let answer = hyper::service::service_fn(move |request: Request<Incoming>| {
                let name = request.uri().path().trim_start_matches('/').to_owned();
                let file = (!name.contains("..") && !name.contains('/')).then(|| dir.join(&name));
                async move {
                    let response = match file.map(std::fs::read) {
                        Some(Ok(bytes)) => Response::new(Full::new(Bytes::from(bytes))),
                        _ => {
                            let mut missing = Response::new(Full::new(Bytes::from_static(b"not found")));
                            *missing.status_mut() = StatusCode::NOT_FOUND;
                            missing
                        }
                    };
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(socket), answer));
        }
    });
    url
}
