//! Silence messages of the alert engine (list, create, expire) and
//! acknowledging a firing alert. A change is stored first, then applied:
//! every firing alert's silenced mark is brought up to date at once (and
//! published, so browsers and the notifier see it).

use actix::prelude::*;
use serde_json::Value;

use super::AlertEngine;
use crate::alerts::engine::{Ack, AckError, Alert};
use crate::alerts::silence::{self, Made, Silence};
use crate::field_error::FieldError;

/// Why a silence change or an acknowledgement was refused.
#[derive(Debug, thiserror::Error)]
pub enum SilenceError {
    #[error("{0}")]
    Invalid(#[from] FieldError),
    #[error("no silence `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Ack(#[from] AckError),
    #[error("the store failed: {0}")]
    Store(String),
}

fn refused<T: 'static>(e: SilenceError) -> AtomicResponse<AlertEngine, Result<T, SilenceError>> {
    AtomicResponse::new(Box::pin(actix::fut::ready(Err(e))))
}

impl AlertEngine {
    /// Stores `silence`, then keeps it (replacing one of its id).
    fn save_silence(&mut self, silence: Silence) -> AtomicResponse<Self, Result<Silence, SilenceError>> {
        let store = self.store.clone();
        let stored = silence.clone();
        AtomicResponse::new(Box::pin(
            async move { store.put_silence(&stored).await.map_err(|e| SilenceError::Store(e.to_string())) }
                .into_actor(self)
                .map(move |result, act, _| {
                    result?;
                    match act.silences.iter_mut().find(|s| s.id == silence.id) {
                        Some(kept) => *kept = silence.clone(),
                        None => act.silences.push(silence.clone()),
                    }
                    act.resilence();
                    Ok(silence)
                }),
        ))
    }
}

/// Every silence and window, oldest first, expired ones too, with the
/// engine's time (their state is what it is to the engine).
#[derive(Message)]
#[rtype(result = "(i64, Vec<Silence>)")]
pub struct ListSilences;

impl Handler<ListSilences> for AlertEngine {
    type Result = MessageResult<ListSilences>;

    fn handle(&mut self, _: ListSilences, _: &mut Context<Self>) -> Self::Result {
        MessageResult((self.now(), self.silences.clone()))
    }
}

/// POST: a new silence or maintenance window from JSON, made by `created_by`.
#[derive(Message)]
#[rtype(result = "Result<Silence, SilenceError>")]
pub struct CreateSilence {
    pub body: Value,
    pub created_by: String,
}

impl Handler<CreateSilence> for AlertEngine {
    type Result = AtomicResponse<Self, Result<Silence, SilenceError>>;

    fn handle(&mut self, msg: CreateSilence, _: &mut Context<Self>) -> Self::Result {
        let made = Made { id: format!("{:016x}", rand::random::<u64>()), created_by: msg.created_by, now: self.now() };
        let rules: Vec<String> = self.engine.rules().map(|r| r.id.clone()).collect();
        match silence::from_input(&msg.body, made, |id| rules.iter().any(|r| r == id)) {
            Ok(silence) => self.save_silence(silence),
            Err(e) => refused(e.into()),
        }
    }
}

/// DELETE: ends a silence now (it stays listed, expired).
#[derive(Message)]
#[rtype(result = "Result<Silence, SilenceError>")]
pub struct ExpireSilence(pub String);

impl Handler<ExpireSilence> for AlertEngine {
    type Result = AtomicResponse<Self, Result<Silence, SilenceError>>;

    fn handle(&mut self, msg: ExpireSilence, _: &mut Context<Self>) -> Self::Result {
        let now = self.now();
        match self.silences.iter().find(|s| s.id == msg.0) {
            None => refused(SilenceError::NotFound(msg.0)),
            // Expiring again keeps the first time.
            Some(s) if s.expired_at.is_some() => {
                let kept = s.clone();
                AtomicResponse::new(Box::pin(actix::fut::ready(Ok(kept))))
            }
            Some(s) => {
                let mut expired = s.clone();
                expired.expired_at = Some(now);
                self.save_silence(expired)
            }
        }
    }
}

/// Acknowledges a firing alert: no more repeats; answers the alert as it now is.
#[derive(Message)]
#[rtype(result = "Result<Alert, SilenceError>")]
pub struct Acknowledge {
    pub alert_id: String,
    pub by: String,
    pub comment: String,
}

impl Handler<Acknowledge> for AlertEngine {
    type Result = Result<Alert, SilenceError>;

    fn handle(&mut self, msg: Acknowledge, _: &mut Context<Self>) -> Self::Result {
        let ack = Ack { by: msg.by, at: self.now(), comment: msg.comment };
        let alert = self.engine.acknowledge(&msg.alert_id, ack)?;
        self.emit(vec![alert.clone()], None);
        Ok(alert)
    }
}
