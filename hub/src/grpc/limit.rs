//! A cap on open gRPC connections: the agents' listener as a stream of
//! connections, each holding a permit; beyond the cap a connection is closed
//! as soon as it is accepted (the agent backs off and retries), so a flood
//! of connections cannot exhaust the hub's file descriptors or memory.

use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::Stream;
use slog::{warn, Logger};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::transport::server::{Connected, TcpConnectInfo};

use crate::stats::Stats;

/// After a failed accept (out of file descriptors, say), wait this long.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);
/// Refused connections are logged at most this often.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// A TCP connection counted against the cap until it is dropped.
pub struct Limited {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Limited {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Limited {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Connected for Limited {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

struct Acceptor {
    listener: TcpListener,
    permits: Arc<Semaphore>,
    cap: usize,
    stats: Arc<Stats>,
    log: Logger,
    last_logged: Option<Instant>,
}

impl Acceptor {
    async fn next(&mut self) -> Limited {
        loop {
            let stream = match self.listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    warn!(self.log, "cannot accept a gRPC connection"; "error" => %e);
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            };
            match self.permits.clone().try_acquire_owned() {
                Ok(permit) => {
                    let _ = stream.set_nodelay(true);
                    return Limited { stream, _permit: permit };
                }
                Err(_) => {
                    drop(stream);
                    let refused = self.stats.grpc_connections_refused.fetch_add(1, Ordering::Relaxed) + 1;
                    if self.last_logged.is_none_or(|at| at.elapsed() >= REFUSAL_LOG_EVERY) {
                        self.last_logged = Some(Instant::now());
                        warn!(self.log, "gRPC connection cap reached; closing new connections";
                            "cap" => self.cap, "refused_total" => refused);
                    }
                }
            }
        }
    }
}

/// The connections of `listener`, at most `cap` open at once.
pub fn incoming(
    listener: TcpListener,
    cap: usize,
    stats: Arc<Stats>,
    log: Logger,
) -> impl Stream<Item = io::Result<Limited>> {
    let acceptor = Acceptor { listener, permits: Arc::new(Semaphore::new(cap)), cap, stats, log, last_logged: None };
    futures::stream::unfold(acceptor, |mut acceptor| async move {
        let connection = acceptor.next().await;
        Some((Ok(connection), acceptor))
    })
}
