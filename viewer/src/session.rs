//! One viewer's WebSocket, the same loop on the hub and the relay: the
//! snapshot first, then every frame its [`Feed`] yields; a ping every
//! [`HEARTBEAT_INTERVAL`]; what the viewer sends is ignored (viewers have
//! nothing to say), except pings (answered) and a close.
//!
//! How a session ends, and what the viewer is told ([`Ended`]):
//! - it falls behind its feed, or does not take a frame within
//!   [`SEND_TIMEOUT`]: 1013 "too slow", the browser reconnects for a fresh
//!   snapshot (nobody else waits for it);
//! - its feed ends (the server stops): 1012;
//! - it sends a frame over [`MAX_INBOUND_FRAME`]: 1009; breaks the
//!   protocol otherwise: 1002;
//! - it stays silent (no pong, no message) for [`CLIENT_TIMEOUT`]: 1001.
//!
//! What differs between hub and relay is only the feed: the hub coalesces
//! its broadcast of machine states per viewer, the relay passes on frames
//! it has already encoded once for everyone.

use std::future::Future;
use std::time::{Duration, Instant};

use actix_ws::{CloseCode, CloseReason, Message, MessageStream, ProtocolError, Session};
use bytestring::ByteString;
use tokio::sync::broadcast::{self, error::RecvError};

pub use crate::heartbeat::{CLIENT_TIMEOUT, HEARTBEAT_INTERVAL};

/// Largest frame a viewer may send; a bigger one closes the session (1009).
pub const MAX_INBOUND_FRAME: usize = 4096;
/// How long one frame may wait for a viewer's connection to take it.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// What a viewer's feed has next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// A frame to send.
    Frame(ByteString),
    /// The viewer fell too far behind; it is dropped.
    Behind,
    /// Nothing more will come (the server stops).
    Ended,
}

/// Where a viewer's frames come from after its snapshot.
pub trait Feed {
    /// The next frame. Must be cancel-safe: the session waits for it
    /// alongside the viewer's own messages and its heartbeat, and drops the
    /// future when one of those comes first.
    fn next(&mut self) -> impl Future<Output = Next>;
}

/// Frames encoded once for every viewer (the relay's feed): a viewer that
/// falls the channel's capacity behind is dropped.
impl Feed for broadcast::Receiver<ByteString> {
    async fn next(&mut self) -> Next {
        match self.recv().await {
            Ok(frame) => Next::Frame(frame),
            Err(RecvError::Lagged(_)) => Next::Behind,
            Err(RecvError::Closed) => Next::Ended,
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The viewer closed it, or its connection went away.
    Left,
    /// Dropped for falling behind (1013).
    TooSlow,
    /// The feed ended (1012).
    Stopping,
    /// Dropped after [`CLIENT_TIMEOUT`] of silence (1001).
    Silent,
    /// Dropped for a frame over [`MAX_INBOUND_FRAME`] (1009).
    Oversize,
    /// Dropped for a protocol error (1002), with what was wrong.
    BadFrame(String),
}

impl Ended {
    /// The close frame the viewer is sent (none when it left by itself).
    fn close_reason(&self) -> Option<CloseReason> {
        let (code, why) = match self {
            Ended::Left => return None,
            Ended::TooSlow => (CloseCode::Again, "too slow: reconnect for a fresh snapshot".to_owned()),
            Ended::Stopping => (CloseCode::Restart, "server stopping: reconnect shortly".to_owned()),
            Ended::Silent => (CloseCode::Away, "no answer to pings".to_owned()),
            Ended::Oversize => (CloseCode::Size, format!("frames over {MAX_INBOUND_FRAME} bytes are refused")),
            Ended::BadFrame(why) => (CloseCode::Protocol, why.clone()),
        };
        Some(CloseReason { code, description: Some(why) })
    }
}

/// Runs one viewer's session to its end: sends `snapshot`, then what
/// `feed` yields, answering the viewer's pings and pinging it, and closes
/// the socket with the reason it ended for.
pub async fn serve(mut session: Session, stream: MessageStream, snapshot: ByteString, mut feed: impl Feed) -> Ended {
    let mut stream = stream.max_frame_size(MAX_INBOUND_FRAME);
    let ended = match send(&mut session, snapshot).await {
        Err(ended) => ended,
        Ok(()) => run(&mut session, &mut stream, &mut feed).await,
    };
    if let Some(reason) = ended.close_reason() {
        let _ = tokio::time::timeout(SEND_TIMEOUT, session.close(Some(reason))).await;
    }
    ended
}

async fn run(session: &mut Session, stream: &mut MessageStream, feed: &mut impl Feed) -> Ended {
    let mut heartbeat = tokio::time::interval(HEARTBEAT_INTERVAL);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            next = feed.next() => match next {
                Next::Frame(frame) => {
                    if let Err(ended) = send(session, frame).await {
                        return ended;
                    }
                }
                Next::Behind => return Ended::TooSlow,
                Next::Ended => return Ended::Stopping,
            },
            message = stream.recv() => {
                last_heard = Instant::now();
                match message {
                    Some(Ok(Message::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            return Ended::Left;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => return Ended::Left,
                    // Viewers are read-only: whatever they say is ignored.
                    Some(Ok(_)) => {}
                    Some(Err(ProtocolError::Overflow)) => return Ended::Oversize,
                    Some(Err(e)) => return Ended::BadFrame(e.to_string()),
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > CLIENT_TIMEOUT {
                    return Ended::Silent;
                }
                if session.ping(b"").await.is_err() {
                    return Ended::Left;
                }
            }
        }
    }
}

/// Sends one frame, within [`SEND_TIMEOUT`].
async fn send(session: &mut Session, frame: ByteString) -> Result<(), Ended> {
    match tokio::time::timeout(SEND_TIMEOUT, session.text(frame)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_closed)) => Err(Ended::Left),
        Err(_elapsed) => Err(Ended::TooSlow),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_end_tells_the_viewer_its_close_code() {
        let code = |ended: Ended| ended.close_reason().map(|r| r.code);
        assert_eq!(code(Ended::Left), None);
        assert_eq!(code(Ended::TooSlow), Some(CloseCode::Again));
        assert_eq!(code(Ended::Stopping), Some(CloseCode::Restart));
        assert_eq!(code(Ended::Silent), Some(CloseCode::Away));
        assert_eq!(code(Ended::Oversize), Some(CloseCode::Size));
        assert_eq!(code(Ended::BadFrame("invalid opcode".to_owned())), Some(CloseCode::Protocol));
    }
}
