//! `AlertEngine`: owns the alert rules and the notification channels, and
//! evaluates the rules live.
//!
//! Subscribes to `MetricsReceived` and `MachineWentOffline`, ticks every
//! [`ALERT_TICK`] for time-based transitions, and publishes [`AlertChanged`]
//! on every fire and resolve. Rule and channel changes arrive as messages,
//! are validated, stored, and take effect on the next sample; each is
//! handled atomically (no other message in between), so versions cannot
//! race, and a rule can name only channels that exist while a channel a
//! rule names cannot be deleted. Alert events are written by one background
//! task in order, retried until the store takes them.
//!
//! # Layout
//! - this file: the actor, its samples and ticks.
//! - [`rules`]: rule messages (list, get, create, replace/merge, delete).
//! - [`channels`]: channel messages, each change published as
//!   [`crate::events::ChannelsChanged`].
//! - [`shared`]: hubs sharing a database: rules, channels and silences
//!   another hub changed, merged in on a timer.
//! - [`silences`]: silences and maintenance windows (list, create,
//!   expire) and acknowledging an alert. The engine marks each firing
//!   alert silenced while one matches (checked as it fires and every tick).

pub mod channels;
pub mod rules;
pub mod shared;
pub mod silences;

pub use channels::ChannelError;
pub use rules::{CreateRule, DeleteRule, GetRule, ListRules, RuleError, UpdateRule};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use actix_broker::{BrokerIssue, BrokerSubscribe};
use slog::{info, warn, Logger};
use tokio::sync::mpsc;

use crate::alerts::channel::Channel;
use crate::alerts::engine::{Alert, AlertState, Engine};
use crate::alerts::rule::{Policy, Rule};
use crate::alerts::silence::Silence;
use crate::events::{AlertChanged, MachineRemoved, MachineWentOffline, MetricsReceived};
use crate::stats::Stats;
use crate::store::Store;

/// How often rules are re-evaluated against the clock alone.
pub const ALERT_TICK: Duration = Duration::from_secs(1);
/// Retry delay for alert events the store refused.
const PERSIST_RETRY: Duration = Duration::from_secs(1);

/// Milliseconds since the epoch; injectable so tests can drive time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub struct AlertEngine {
    engine: Engine,
    store: Arc<dyn Store>,
    clock: Clock,
    policy: Policy,
    log: Logger,
    persist: mpsc::UnboundedSender<Alert>,
    persist_rx: Option<mpsc::UnboundedReceiver<Alert>>,
    stats: Arc<Stats>,
    /// The notification channels, by id.
    channels: HashMap<String, Arc<Channel>>,
    /// Silences and maintenance windows, expired ones too.
    silences: Vec<Silence>,
}

/// What the alert engine starts with.
pub struct AlertsConfig {
    pub rules: Vec<Rule>,
    pub channels: Vec<Channel>,
    pub silences: Vec<Silence>,
    /// Alerts firing when the hub last stopped.
    pub firing: Vec<Alert>,
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    pub policy: Policy,
    pub stats: Arc<Stats>,
    pub log: Logger,
}

impl AlertEngine {
    pub fn new(config: AlertsConfig) -> Self {
        let mut engine = Engine::new(config.rules);
        engine.restore(config.firing);
        let (persist, persist_rx) = mpsc::unbounded_channel();
        AlertEngine {
            engine,
            store: config.store,
            clock: config.clock,
            policy: config.policy,
            log: config.log,
            persist,
            persist_rx: Some(persist_rx),
            stats: config.stats,
            channels: channels::by_id(config.channels),
            silences: config.silences,
        }
    }

    /// Whether an active silence or maintenance window holds `alert` back at `now`.
    fn silenced(&self, alert: &Alert, now: i64) -> bool {
        self.silences.iter().any(|s| s.active(now) && s.matches(&alert.rule_id, &alert.machine_id, &alert.labels))
    }

    /// Brings every firing alert's silenced mark up to date, publishing changes.
    fn resilence(&mut self) {
        let now = self.now();
        let silences = std::mem::take(&mut self.silences);
        let changed = self
            .engine
            .resilence(|a| silences.iter().any(|s| s.active(now) && s.matches(&a.rule_id, &a.machine_id, &a.labels)));
        self.silences = silences;
        self.emit(changed, None);
        let silenced = self.engine.count_firing(|a| a.silenced);
        self.stats.alerts_silenced.store(silenced as i64, std::sync::atomic::Ordering::Relaxed);
    }

    /// Stores and publishes alert events; `deleted` is the rule of events
    /// that a deletion caused (no longer in the engine). An alert that
    /// fires under a silence is marked so before it goes anywhere.
    fn emit(&mut self, events: Vec<Alert>, deleted: Option<&Rule>) {
        self.stats.alert_evaluations.store(self.engine.evaluations, std::sync::atomic::Ordering::Relaxed);
        let now = self.now();
        for mut alert in events {
            if alert.state == AlertState::Firing && !alert.silenced && self.silenced(&alert, now) {
                alert.silenced = true;
                self.engine.set_silenced(&alert.id, true);
            }
            info!(self.log, "alert"; "state" => ?alert.state, "rule" => &alert.rule_name,
                "machine_id" => &alert.machine_id, "value" => alert.value, "silenced" => alert.silenced);
            let _ = self.persist.send(alert.clone());
            let rule = self.engine.rules().find(|r| r.id == alert.rule_id).or(deleted).cloned().map(Arc::new);
            self.issue_system_async(AlertChanged { alert: Arc::new(alert), rule });
        }
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }
}

impl Actor for AlertEngine {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe_system_async::<MetricsReceived>(ctx);
        self.subscribe_system_async::<MachineWentOffline>(ctx);
        self.subscribe_system_async::<MachineRemoved>(ctx);
        ctx.run_interval(ALERT_TICK, |act, _| {
            let now = act.now();
            let events = act.engine.tick(now);
            act.emit(events, None);
            // Silences start and end with the clock.
            act.resilence();
        });
        if let Some(mut rx) = self.persist_rx.take() {
            let (store, log) = (self.store.clone(), self.log.clone());
            actix::spawn(async move {
                while let Some(alert) = rx.recv().await {
                    while let Err(e) = store.put_alert(&alert).await {
                        warn!(log, "cannot store an alert event; retrying"; "error" => %e, "alert" => &alert.id);
                        tokio::time::sleep(PERSIST_RETRY).await;
                    }
                }
            });
        }
    }
}

impl Handler<MetricsReceived> for AlertEngine {
    type Result = ();

    fn handle(&mut self, msg: MetricsReceived, _: &mut Context<Self>) {
        let now = self.now();
        let update = msg.0;
        let events = self.engine.observe(
            update.machine_id(),
            update.latest.clone(),
            update.host.clone(),
            &update.summary.labels,
            now,
        );
        self.emit(events, None);
    }
}

impl Handler<MachineWentOffline> for AlertEngine {
    type Result = ();

    fn handle(&mut self, msg: MachineWentOffline, _: &mut Context<Self>) {
        let now = self.now();
        let events = self.engine.offline(msg.0.machine_id(), &msg.0.summary.labels, now);
        self.emit(events, None);
    }
}

impl Handler<MachineRemoved> for AlertEngine {
    type Result = ();

    fn handle(&mut self, msg: MachineRemoved, _: &mut Context<Self>) {
        let now = self.now();
        let events = self.engine.forget_machine(&msg.machine_id, now);
        self.emit(events, None);
    }
}

/// Alerts firing now.
#[derive(Message)]
#[rtype(result = "Vec<Alert>")]
pub struct FiringAlerts;

impl Handler<FiringAlerts> for AlertEngine {
    type Result = MessageResult<FiringAlerts>;

    fn handle(&mut self, _: FiringAlerts, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.engine.firing())
    }
}
