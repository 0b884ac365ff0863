//! Hubs sharing one database: what another hub changed (rules, channels,
//! silences), read back on a timer and merged into this engine, so a rule
//! made on one hub alerts on machines streaming to another, a channel made
//! there can be named here, and a silence holds everywhere.
//!
//! A stored rule or channel with a higher version than this hub's (or one
//! this hub does not have) is taken; one this hub has that the store no
//! longer holds is dropped, unless this hub changed it after the read
//! began (its own write may not have been read yet). Silences are never
//! deleted: new ones are added, and one expired elsewhere expires here.

use std::sync::Arc;

use actix::prelude::*;
use actix_broker::BrokerIssue;

use super::AlertEngine;
use crate::alerts::channel::Channel;
use crate::alerts::rule::Rule;
use crate::alerts::silence::Silence;
use crate::events::RuleChanged;

/// Everything the alerting keeps in the store, as read at `read_at` (ms).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SharedAlerting {
    pub read_at: i64,
    pub rules: Vec<Rule>,
    pub channels: Vec<Channel>,
    pub silences: Vec<Silence>,
}

impl Handler<SharedAlerting> for AlertEngine {
    type Result = ();

    fn handle(&mut self, msg: SharedAlerting, _: &mut Context<Self>) {
        let now = self.now();
        // Rules.
        let ours: Vec<(String, u64, i64)> =
            self.engine.rules().map(|r| (r.id.clone(), r.version, r.updated_at)).collect();
        for rule in &msg.rules {
            if ours.iter().find(|(id, ..)| *id == rule.id).is_none_or(|(_, version, _)| rule.version > *version) {
                let events = self.engine.upsert_rule(rule.clone(), now);
                self.emit(events, None);
                self.issue_system_async(RuleChanged(Arc::new(rule.clone())));
            }
        }
        for (id, _, updated_at) in &ours {
            if updated_at < &msg.read_at && !msg.rules.iter().any(|r| r.id == *id) {
                let gone = self.engine.rules().find(|r| r.id == *id).cloned();
                let events = self.engine.remove_rule(id, now);
                self.emit(events, gone.as_ref());
            }
        }
        // Channels.
        let mut changed = false;
        for channel in msg.channels.iter() {
            if self.channels.get(&channel.id).is_none_or(|c| channel.version > c.version) {
                self.channels.insert(channel.id.clone(), Arc::new(channel.clone()));
                changed = true;
            }
        }
        let before = self.channels.len();
        self.channels.retain(|id, c| c.updated_at >= msg.read_at || msg.channels.iter().any(|s| s.id == *id));
        if changed || self.channels.len() != before {
            self.publish_channels();
        }
        // Silences.
        let mut resilence = false;
        for silence in msg.silences {
            match self.silences.iter_mut().find(|s| s.id == silence.id) {
                None => {
                    self.silences.push(silence);
                    resilence = true;
                }
                Some(kept) if kept.expired_at.is_none() && silence.expired_at.is_some() => {
                    *kept = silence;
                    resilence = true;
                }
                Some(_) => {}
            }
        }
        if resilence {
            self.resilence();
        }
    }
}
