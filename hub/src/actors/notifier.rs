//! `Notifier`: tells people about alerts through their channels.
//!
//! What goes out when is the [`Dispatcher`]'s to say (silences hold
//! notifications back, groups gather for their wait, repeats until
//! acknowledged); the notifier feeds it every alert change and ticks it
//! every [`DISPATCH_TICK`]. Each notification goes through each channel the rule names
//! (and each of the rule's plain `webhooks`, as an unsigned webhook
//! channel), the message [`crate::notify::render`] makes for that kind.
//! Each delivery runs on its own task (a slow service never delays
//! evaluation or other deliveries), with a timeout and retries with
//! backoff ([`Retry::NOTIFY`]); every try is written to the delivery log
//! of the alert, in order, by one background task. Channels come from the
//! alert engine ([`ChannelsChanged`]); `TestChannel` sends a test message
//! once and answers with the outcome. Outcomes are counted per channel kind
//! (`/api/stats`, `/metrics`), webhooks also as before.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use actix_broker::BrokerSubscribe;
use serde::Serialize;
use slog::{debug, warn, Logger};
use tokio::sync::mpsc;

use crate::actors::alert_engine::Clock;
use crate::alerts::address::Policy;
use crate::alerts::channel::{Channel, Kind};
use crate::alerts::delivery::{clip, Delivery};
use crate::alerts::engine::Alert;
use crate::alerts::rule::Rule;
use crate::events::{AlertChanged, ChannelsChanged, RuleChanged};
use crate::notify::dispatch::Dispatcher;
use crate::notify::message::Notification;
use crate::notify::render::render;
use crate::notify::send::{deliver, Retry, Try};
use crate::stats::Stats;
use crate::store::Store;

/// How often groups whose wait is over and due repeats are sent.
pub const DISPATCH_TICK: std::time::Duration = std::time::Duration::from_secs(1);

pub struct Notifier {
    dispatcher: Dispatcher,
    clock: Clock,
    channels: Arc<HashMap<String, Arc<Channel>>>,
    policy: Policy,
    stats: Arc<Stats>,
    /// The dashboard's address, for links in messages.
    dashboard: Option<Arc<str>>,
    log: Logger,
    /// To the task that writes the delivery log.
    log_tx: mpsc::UnboundedSender<Delivery>,
    log_rx: Option<(mpsc::UnboundedReceiver<Delivery>, Arc<dyn Store>)>,
}

/// What the notifier starts with.
pub struct NotifierConfig {
    pub channels: HashMap<String, Arc<Channel>>,
    /// The rules, and the alerts firing when the hub last stopped (they
    /// were notified then: repeats go on from now).
    pub rules: Vec<Rule>,
    pub firing: Vec<Alert>,
    pub clock: Clock,
    pub store: Arc<dyn Store>,
    pub policy: Policy,
    pub stats: Arc<Stats>,
    pub dashboard: Option<Arc<str>>,
    pub log: Logger,
}

impl Notifier {
    pub fn new(config: NotifierConfig) -> Self {
        let (log_tx, log_rx) = mpsc::unbounded_channel();
        let mut dispatcher = Dispatcher::default();
        dispatcher.restore(config.firing, &config.rules, (config.clock)());
        Notifier {
            dispatcher,
            clock: config.clock,
            channels: Arc::new(config.channels),
            policy: config.policy,
            stats: config.stats,
            dashboard: config.dashboard,
            log: config.log,
            log_tx,
            log_rx: Some((log_rx, config.store)),
        }
    }

    /// Where a rule's notifications go: its channels, then its plain webhooks.
    fn targets(&self, rule: &Rule) -> Vec<Arc<Channel>> {
        let mut targets = Vec::new();
        for id in &rule.channels {
            match self.channels.get(id) {
                Some(channel) => targets.push(channel.clone()),
                None => warn!(self.log, "a rule names a channel that is gone"; "rule" => &rule.id, "channel" => id),
            }
        }
        targets.extend(
            rule.webhooks.iter().enumerate().map(|(i, url)| Arc::new(Channel::legacy_webhook(&rule.id, i, url))),
        );
        targets
    }

    /// Sends what the dispatcher let go through every channel of its rule.
    fn send(&self, mut notification: Notification) {
        let targets = self.targets(&notification.rule);
        if targets.is_empty() {
            return;
        }
        notification.dashboard = self.dashboard.clone();
        let notification = Arc::new(notification);
        for channel in targets {
            self.spawn_delivery(channel, notification.clone());
        }
    }

    /// Sends `notification` through `channel` on a task of its own.
    fn spawn_delivery(&self, channel: Arc<Channel>, notification: Arc<Notification>) {
        let (policy, stats, log, log_tx) = (self.policy, self.stats.clone(), self.log.clone(), self.log_tx.clone());
        actix::spawn(async move {
            let outgoing = render(&channel.settings, &notification);
            let mut report = |t: Try| {
                for alert in &notification.alerts {
                    let _ = log_tx.send(Delivery {
                        alert_id: alert.id.clone(),
                        channel_id: channel.id.clone(),
                        channel_name: channel.name.clone(),
                        kind: channel.kind(),
                        state: notification.state,
                        attempt: t.attempt,
                        at: t.at,
                        ok: t.error.is_none(),
                        error: t.error.as_deref().map(clip),
                    });
                }
                if t.attempt > 1 && channel.kind() == Kind::Webhook {
                    stats.webhook_retries.fetch_add(1, Ordering::Relaxed);
                }
            };
            let outcome = deliver(&channel, &outgoing, Retry::NOTIFY, policy, &mut report).await;
            count(&stats, channel.kind(), outcome.is_ok());
            match outcome {
                Ok(()) => debug!(log, "notified"; "channel" => &channel.name, "kind" => channel.kind().name(),
                    "state" => ?notification.state, "alerts" => notification.alerts.len()),
                Err(e) => warn!(log, "notification failed"; "channel" => &channel.name,
                    "kind" => channel.kind().name(), "error" => e),
            }
        });
    }
}

/// Counts an outcome per kind, and webhooks as before.
fn count(stats: &Stats, kind: Kind, sent: bool) {
    stats.count_notification(kind, sent);
    if kind == Kind::Webhook {
        let counter = if sent { &stats.webhooks_delivered } else { &stats.webhooks_failed };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl Actor for Notifier {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe_system_async::<AlertChanged>(ctx);
        self.subscribe_system_async::<ChannelsChanged>(ctx);
        self.subscribe_system_async::<RuleChanged>(ctx);
        ctx.run_interval(DISPATCH_TICK, |act, _| {
            let now = (act.clock)();
            for notification in act.dispatcher.tick(now) {
                act.send(notification);
            }
        });
        if let Some((mut rx, store)) = self.log_rx.take() {
            let log = self.log.clone();
            actix::spawn(async move {
                while let Some(delivery) = rx.recv().await {
                    if let Err(e) = store.put_delivery(&delivery).await {
                        warn!(log, "cannot log a delivery"; "alert" => &delivery.alert_id, "error" => %e);
                    }
                }
            });
        }
    }
}

impl Handler<AlertChanged> for Notifier {
    type Result = ();

    fn handle(&mut self, msg: AlertChanged, _: &mut Context<Self>) {
        let Some(rule) = msg.rule else { return };
        let now = (self.clock)();
        for notification in self.dispatcher.changed(msg.alert, rule, now) {
            self.send(notification);
        }
    }
}

impl Handler<RuleChanged> for Notifier {
    type Result = ();

    fn handle(&mut self, msg: RuleChanged, _: &mut Context<Self>) {
        self.dispatcher.rule_changed(msg.0);
    }
}

impl Handler<ChannelsChanged> for Notifier {
    type Result = ();

    fn handle(&mut self, msg: ChannelsChanged, _: &mut Context<Self>) {
        self.channels = msg.0;
    }
}

/// What a test of a channel came to.
#[derive(Debug, Clone, Serialize)]
pub struct TestOutcome {
    pub ok: bool,
    pub error: Option<String>,
    /// How long sending took, ms.
    pub took_ms: u64,
}

/// Sends a test message through a channel, once.
#[derive(Message)]
#[rtype(result = "TestOutcome")]
pub struct TestChannel(pub Arc<Channel>);

impl Handler<TestChannel> for Notifier {
    type Result = ResponseFuture<TestOutcome>;

    fn handle(&mut self, msg: TestChannel, _: &mut Context<Self>) -> Self::Result {
        let (policy, stats, log) = (self.policy, self.stats.clone(), self.log.clone());
        let notification = Notification::test(&msg.0.name, self.dashboard.clone(), crate::now_ms());
        Box::pin(async move {
            let channel = msg.0;
            let started = Instant::now();
            let outgoing = render(&channel.settings, &notification);
            let outcome = deliver(&channel, &outgoing, Retry::ONCE, policy, &mut |_| {}).await;
            count(&stats, channel.kind(), outcome.is_ok());
            let took_ms = started.elapsed().as_millis() as u64;
            match &outcome {
                Ok(()) => debug!(log, "channel test sent"; "channel" => &channel.name),
                Err(e) => warn!(log, "channel test failed"; "channel" => &channel.name, "error" => e),
            }
            TestOutcome { ok: outcome.is_ok(), error: outcome.err().map(|e| clip(&e)), took_ms }
        })
    }
}
