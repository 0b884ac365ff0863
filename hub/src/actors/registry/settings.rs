//! The registry's hub-side settings of machines: patches taken in turn,
//! applied to viewers and sessions, re-read from a shared store.

use std::sync::Arc;

use actix::prelude::*;

use super::MachineRegistry;
use crate::actors::machine_session::UseSettings;
use crate::events::MachineUpdate;
use crate::field_error::FieldError;
use crate::machine_settings::MachineSettings;

/// A machine's new hub-side settings (already stored): shown to viewers at
/// once and used by its session from now on. Answers the machine's state
/// as it now is (None: unknown machine).
#[derive(Message)]
#[rtype(result = "Option<Arc<MachineUpdate>>")]
pub struct ApplySettings {
    pub machine_id: String,
    pub settings: MachineSettings,
}

impl Handler<ApplySettings> for MachineRegistry {
    type Result = MessageResult<ApplySettings>;

    fn handle(&mut self, msg: ApplySettings, _: &mut Context<Self>) -> Self::Result {
        self.settings.insert(msg.machine_id.clone(), msg.settings.clone());
        if let Some(session) = self.sessions.get(&msg.machine_id) {
            session.do_send(UseSettings(msg.settings.clone()));
        }
        let Some(current) = self.latest.get(&msg.machine_id) else { return MessageResult(None) };
        let update = current.with_settings(&msg.settings);
        self.accept(update.clone());
        MessageResult(Some(update))
    }
}

/// Every machine's settings as the shared store holds them (hubs on one
/// PostgreSQL): those that differ from what this hub shows are applied.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RefreshSettings(pub Vec<(String, MachineSettings)>);

impl Handler<RefreshSettings> for MachineRegistry {
    type Result = ();

    fn handle(&mut self, msg: RefreshSettings, ctx: &mut Context<Self>) {
        for (machine_id, settings) in msg.0 {
            if self.settings.get(&machine_id).unwrap_or(&MachineSettings::default()) != &settings {
                Handler::<ApplySettings>::handle(self, ApplySettings { machine_id, settings }, ctx);
            }
        }
    }
}

/// A JSON merge patch of a machine's hub-side settings (see
/// `MachineSettings::patched`), taken in turn so that concurrent patches
/// compose. Answers (before, after); the caller stores `after`, then sends
/// [`ApplySettings`] with what the store holds.
#[derive(Message)]
#[rtype(result = "Result<(MachineSettings, MachineSettings), PatchRefused>")]
pub struct PatchSettings {
    pub machine_id: String,
    pub body: serde_json::Value,
}

/// Why a patch was refused.
#[derive(Debug)]
pub enum PatchRefused {
    UnknownMachine,
    Invalid(FieldError),
}

impl Handler<PatchSettings> for MachineRegistry {
    type Result = Result<(MachineSettings, MachineSettings), PatchRefused>;

    fn handle(&mut self, msg: PatchSettings, _: &mut Context<Self>) -> Self::Result {
        if !self.latest.contains_key(&msg.machine_id) {
            return Err(PatchRefused::UnknownMachine);
        }
        let before = self.settings.get(&msg.machine_id).cloned().unwrap_or_default();
        let after = before.patched(&msg.body).map_err(PatchRefused::Invalid)?;
        self.settings.insert(msg.machine_id, after.clone());
        Ok((before, after))
    }
}

/// A machine's hub-side settings (empty for a machine without any).
#[derive(Message)]
#[rtype(result = "MachineSettings")]
pub struct SettingsOf(pub String);

impl Handler<SettingsOf> for MachineRegistry {
    type Result = MessageResult<SettingsOf>;

    fn handle(&mut self, msg: SettingsOf, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.settings.get(&msg.0).cloned().unwrap_or_default())
    }
}
