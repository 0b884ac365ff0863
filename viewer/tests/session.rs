//! The viewer session loop over a real WebSocket: an actix-web server on a
//! free loopback port serves one session whose feed the test drives, and a
//! tokio-tungstenite client is the browser.

use std::sync::Mutex;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use futures::{SinkExt, StreamExt};
use sysmonstm_viewer::session::{self, Ended, Feed, Next};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

/// A feed the test writes to; it ends when the test drops its sender.
struct Scripted(mpsc::UnboundedReceiver<Next>);

impl Feed for Scripted {
    async fn next(&mut self) -> Next {
        self.0.recv().await.unwrap_or(Next::Ended)
    }
}

/// What the one session gets and where it reports how it ended.
type Parts = Mutex<Option<(Scripted, oneshot::Sender<Ended>)>>;

async fn connect(request: HttpRequest, body: web::Payload, parts: web::Data<Parts>) -> actix_web::Result<HttpResponse> {
    let (feed, report) = parts.lock().expect("lock").take().expect("one session per test");
    let (response, ws, stream) = actix_ws::handle(&request, body)?;
    actix_web::rt::spawn(async move {
        let _ = report.send(session::serve(ws, stream, "snapshot".into(), feed).await);
    });
    Ok(response)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A server with one session; the browser connected to it.
async fn start() -> (mpsc::UnboundedSender<Next>, oneshot::Receiver<Ended>, Socket) {
    let (feed, script) = mpsc::unbounded_channel();
    let (report, ended) = oneshot::channel();
    let parts = web::Data::new(Mutex::new(Some((Scripted(script), report))));
    let server = HttpServer::new(move || App::new().app_data(parts.clone()).route("/ws", web::get().to(connect)))
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind");
    let port = server.addrs()[0].port();
    actix_web::rt::spawn(server.run());
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws")).await.expect("connect");
    (feed, ended, socket)
}

/// The next message that is not a ping.
async fn next(socket: &mut Socket) -> Message {
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await.expect("a message in time") {
            Some(Ok(Message::Ping(_))) => continue,
            Some(Ok(message)) => return message,
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

async fn close_code(socket: &mut Socket) -> Option<u16> {
    match next(socket).await {
        Message::Close(frame) => frame.map(|f| u16::from(f.code)),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

async fn ended(report: oneshot::Receiver<Ended>) -> Ended {
    tokio::time::timeout(WAIT, report).await.expect("the session ends in time").expect("reported")
}

#[actix_web::test]
async fn snapshot_first_then_the_feed_in_order_and_what_the_viewer_says_is_ignored() {
    let (feed, report, mut socket) = start().await;
    assert_eq!(next(&mut socket).await, Message::text("snapshot"));
    socket.send(Message::text("hello?")).await.expect("send");
    socket.send(Message::Ping(b"are you there".to_vec().into())).await.expect("send");
    assert_eq!(next(&mut socket).await, Message::Pong(b"are you there".to_vec().into()));
    for n in 1..=3 {
        feed.send(Next::Frame(format!("frame {n}").into())).expect("feed");
    }
    for n in 1..=3 {
        assert_eq!(next(&mut socket).await, Message::text(format!("frame {n}")));
    }
    socket.send(Message::Close(None)).await.expect("close");
    assert_eq!(ended(report).await, Ended::Left);
}

#[actix_web::test]
async fn a_viewer_behind_its_feed_is_told_to_reconnect_with_1013() {
    let (feed, report, mut socket) = start().await;
    next(&mut socket).await;
    feed.send(Next::Behind).expect("feed");
    assert_eq!(close_code(&mut socket).await, Some(1013));
    assert_eq!(ended(report).await, Ended::TooSlow);
}

#[actix_web::test]
async fn the_feed_ending_closes_with_1012() {
    let (feed, report, mut socket) = start().await;
    next(&mut socket).await;
    drop(feed);
    assert_eq!(close_code(&mut socket).await, Some(1012));
    assert_eq!(ended(report).await, Ended::Stopping);
}

#[actix_web::test]
async fn a_frame_over_4_kib_closes_with_1009() {
    let (_feed, report, mut socket) = start().await;
    next(&mut socket).await;
    socket.send(Message::text("x".repeat(session::MAX_INBOUND_FRAME + 1))).await.expect("send");
    assert_eq!(close_code(&mut socket).await, Some(1009));
    assert_eq!(ended(report).await, Ended::Oversize);
}
