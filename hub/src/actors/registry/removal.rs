//! Removing a machine from the registry (`DELETE /api/machines/{id}`, or
//! another hub's removal through Redis): refusals, then viewers, the
//! session and the broker in that order (see docs/architecture.md,
//! "Intervals and removal").

use std::sync::Arc;

use actix::prelude::*;
use actix_broker::BrokerIssue;
use sysmonstm_protocol::model::MachineStatus;

use super::MachineRegistry;
use crate::actors::machine_session::Retire;
use crate::events::{Forgotten, LiveEvent, MachineRemoved, RemoteMachineRemoved};

/// Forgets a machine: viewers drop it at once, its session ends its
/// stream and stops, then [`MachineRemoved`] goes out on the broker (its
/// alerts resolve; the storage writer forgets it and tells `forgotten`).
/// Answers the status it had.
#[derive(Message)]
#[rtype(result = "Result<MachineStatus, ForgetRefused>")]
pub struct Forget {
    pub machine_id: String,
    /// Also when its agent is streaming (its stream is ended).
    pub force: bool,
    pub purge_history: bool,
    pub forgotten: Forgotten,
}

/// Why a machine was not forgotten.
#[derive(Debug, PartialEq, Eq)]
pub enum ForgetRefused {
    UnknownMachine,
    /// Its agent streams to this hub; `force` would end the stream.
    Online,
    /// Its agent streams to another hub (named), which must remove it.
    OnlineElsewhere(Arc<str>),
}

impl MachineRegistry {
    /// Whether the machine may be forgotten, and the status it has.
    fn may_forget(&self, msg: &Forget) -> Result<MachineStatus, ForgetRefused> {
        let status = self.latest.get(&msg.machine_id).ok_or(ForgetRefused::UnknownMachine)?.summary.status;
        if status == MachineStatus::Online {
            if let Some(remote) = self.remote.get(&msg.machine_id) {
                return Err(ForgetRefused::OnlineElsewhere(remote.hub.clone()));
            }
            if !msg.force {
                return Err(ForgetRefused::Online);
            }
        }
        Ok(status)
    }
}

impl Handler<Forget> for MachineRegistry {
    type Result = ResponseActFuture<Self, Result<MachineStatus, ForgetRefused>>;

    fn handle(&mut self, msg: Forget, _: &mut Context<Self>) -> Self::Result {
        let status = match self.may_forget(&msg) {
            Ok(status) => status,
            Err(refused) => return Box::pin(fut::ready(Err(refused))),
        };
        // Out of `sessions` first: what the retiring session still
        // publishes is ignored from now on (see `is_local`).
        let session = self.sessions.remove(&msg.machine_id);
        self.latest.remove(&msg.machine_id);
        self.remote.remove(&msg.machine_id);
        self.settings.remove(&msg.machine_id);
        let _ = self.live.send(LiveEvent::Removed(Arc::from(msg.machine_id.as_str())));
        let retired = async move {
            if let Some(session) = session {
                let _ = session.send(Retire).await;
            }
        };
        Box::pin(retired.into_actor(self).map(move |_, registry, _| {
            // After the session's last sample on the broker, so the writer
            // sees that first.
            let Forget { machine_id, purge_history, forgotten, .. } = msg;
            registry.issue_system_async(MachineRemoved { machine_id, purge_history, forgotten });
            Ok(status)
        }))
    }
}

impl Handler<RemoteMachineRemoved> for MachineRegistry {
    type Result = ();

    /// Forgets it here as the removing hub did (its alerts here resolve),
    /// unless its agent streams to this hub (then it is refused as online,
    /// and stays).
    fn handle(&mut self, msg: RemoteMachineRemoved, ctx: &mut Context<Self>) {
        let (forgotten, _) = Forgotten::channel();
        ctx.address().do_send(Forget { machine_id: msg.machine_id, force: false, purge_history: false, forgotten });
    }
}
