//! `GET /ws`: upgrades to a [`WsSession`](crate::actors::ws_session::WsSession).

use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;

use super::AppState;
use crate::actors::ws_session::{WsSession, MAX_INBOUND_FRAME};

pub async fn connect(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let session =
        WsSession::new(state.registry.clone(), state.updates.subscribe(), state.stats.clone(), state.log.clone());
    ws::WsResponseBuilder::new(session, &request, body).frame_size(MAX_INBOUND_FRAME).start()
}
