//! Channel messages of the alert engine: list, get, create, replace or
//! merge, delete. The engine holds channels beside the rules so that a rule
//! can name only channels that exist and a channel a rule names cannot be
//! deleted, each check and change one atomic step. Every change is stored,
//! then published as [`ChannelsChanged`] (the notifier sends with it).

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use actix_broker::BrokerIssue;
use serde_json::Value;

use super::rules::changed;
use super::AlertEngine;
use crate::alerts::channel::{self, Channel, Stamp};
use crate::events::ChannelsChanged;
use crate::field_error::FieldError;

/// Why a channel change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("{0}")]
    Invalid(#[from] FieldError),
    #[error("no channel `{0}`")]
    NotFound(String),
    #[error("channel `{id}` is at version {current}; the request was made against version {sent}")]
    Conflict { id: String, current: u64, sent: u64 },
    #[error("channel `{id}` is used by {}: take it out of them first", .rules.join(", "))]
    InUse { id: String, rules: Vec<String> },
    #[error("the store failed: {0}")]
    Store(String),
}

impl AlertEngine {
    fn channel(&self, id: &str) -> Result<Arc<Channel>, ChannelError> {
        self.channels.get(id).cloned().ok_or_else(|| ChannelError::NotFound(id.to_owned()))
    }

    /// Validates `input` as the next version of `current` (or a new channel).
    fn build_channel(&self, input: &Value, current: Option<&Channel>, id: String) -> Result<Channel, ChannelError> {
        let now = self.now();
        if let (Some(current), Some(sent)) = (current, input.get("version").and_then(Value::as_u64)) {
            if sent != current.version {
                return Err(ChannelError::Conflict { id, current: current.version, sent });
            }
        }
        let stamp = current.map_or(Stamp { version: 1, created_at: now, updated_at: now }, |c| Stamp {
            version: c.version + 1,
            created_at: c.created_at,
            updated_at: now,
        });
        Ok(channel::from_input(input, id, stamp, current, self.policy)?)
    }

    /// Tells the notifier every channel as it now is.
    pub(super) fn publish_channels(&self) {
        self.issue_system_async(ChannelsChanged(Arc::new(self.channels.clone())));
    }

    /// Stores `channel`, then keeps it: one atomic step of the actor.
    fn save_channel(&mut self, channel: Channel) -> AtomicResponse<Self, Result<Channel, ChannelError>> {
        let store = self.store.clone();
        let stored = channel.clone();
        AtomicResponse::new(Box::pin(
            async move { store.put_channel(&stored).await.map_err(|e| ChannelError::Store(e.to_string())) }
                .into_actor(self)
                .map(move |result, act, _| {
                    result?;
                    act.channels.insert(channel.id.clone(), Arc::new(channel.clone()));
                    act.publish_channels();
                    Ok(channel)
                }),
        ))
    }
}

fn refused<T: 'static>(e: ChannelError) -> AtomicResponse<AlertEngine, Result<T, ChannelError>> {
    AtomicResponse::new(Box::pin(actix::fut::ready(Err(e))))
}

/// Every channel, oldest first (secrets included: the HTTP side shows views).
#[derive(Message)]
#[rtype(result = "Vec<Arc<Channel>>")]
pub struct ListChannels;

impl Handler<ListChannels> for AlertEngine {
    type Result = MessageResult<ListChannels>;

    fn handle(&mut self, _: ListChannels, _: &mut Context<Self>) -> Self::Result {
        let mut channels: Vec<Arc<Channel>> = self.channels.values().cloned().collect();
        channels.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        MessageResult(channels)
    }
}

/// One channel.
#[derive(Message)]
#[rtype(result = "Result<Arc<Channel>, ChannelError>")]
pub struct GetChannel(pub String);

impl Handler<GetChannel> for AlertEngine {
    type Result = Result<Arc<Channel>, ChannelError>;

    fn handle(&mut self, msg: GetChannel, _: &mut Context<Self>) -> Self::Result {
        self.channel(&msg.0)
    }
}

/// POST: a new channel from JSON.
#[derive(Message)]
#[rtype(result = "Result<Channel, ChannelError>")]
pub struct CreateChannel(pub Value);

impl Handler<CreateChannel> for AlertEngine {
    type Result = AtomicResponse<Self, Result<Channel, ChannelError>>;

    fn handle(&mut self, msg: CreateChannel, _: &mut Context<Self>) -> Self::Result {
        let id = format!("{:016x}", rand::random::<u64>());
        match self.build_channel(&msg.0, None, id) {
            Ok(channel) => self.save_channel(channel),
            Err(e) => refused(e),
        }
    }
}

/// PUT (replace) or PATCH (merge) a channel. Secrets left out are kept.
#[derive(Message)]
#[rtype(result = "Result<Channel, ChannelError>")]
pub struct UpdateChannel {
    pub id: String,
    pub body: Value,
    /// Merge `body` into the current channel (PATCH) instead of replacing it.
    pub merge: bool,
}

impl Handler<UpdateChannel> for AlertEngine {
    type Result = AtomicResponse<Self, Result<Channel, ChannelError>>;

    fn handle(&mut self, msg: UpdateChannel, _: &mut Context<Self>) -> Self::Result {
        let built = self.channel(&msg.id).and_then(|current| {
            // Merged onto the view, so a secret is kept as one left out.
            let input = changed(current.view(), &msg.body, msg.merge);
            self.build_channel(&input, Some(&current), msg.id.clone())
        });
        match built {
            Ok(channel) => self.save_channel(channel),
            Err(e) => refused(e),
        }
    }
}

/// DELETE a channel no rule names; answers with what was deleted.
#[derive(Message)]
#[rtype(result = "Result<Arc<Channel>, ChannelError>")]
pub struct DeleteChannel(pub String);

impl Handler<DeleteChannel> for AlertEngine {
    type Result = AtomicResponse<Self, Result<Arc<Channel>, ChannelError>>;

    fn handle(&mut self, msg: DeleteChannel, _: &mut Context<Self>) -> Self::Result {
        let channel = match self.channel(&msg.0) {
            Ok(channel) => channel,
            Err(e) => return refused(e),
        };
        let mut users: Vec<String> = self
            .engine
            .rules()
            .filter(|r| r.channels.contains(&msg.0))
            .map(|r| format!("`{}` ({})", r.name, r.id))
            .collect();
        if !users.is_empty() {
            users.sort();
            return refused(ChannelError::InUse { id: msg.0, rules: users });
        }
        let store = self.store.clone();
        let id = msg.0;
        AtomicResponse::new(Box::pin(
            {
                let id = id.clone();
                async move { store.delete_channel(&id).await.map_err(|e| ChannelError::Store(e.to_string())) }
            }
            .into_actor(self)
            .map(move |result, act, _| {
                result?;
                act.channels.remove(&id);
                act.publish_channels();
                Ok(channel)
            }),
        ))
    }
}

/// The channels by id, as the notifier starts with them.
pub fn by_id(channels: Vec<Channel>) -> HashMap<String, Arc<Channel>> {
    channels.into_iter().map(|c| (c.id.clone(), Arc::new(c))).collect()
}
