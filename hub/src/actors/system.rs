//! Starting and stopping the hub's actors, inside a running actix system.
//!
//! [`Actors::start`] starts them in the order they depend on each other
//! (the registry first: the Redis bridge hands it machines as soon as it
//! runs) and hands back their addresses by name; [`Actors::drain`] writes
//! what the storage writer holds, [`Actors::stop`] stops the arbiters
//! machine sessions run on. What runs the system (threads, HTTP, gRPC) is
//! `server`'s business, not this module's.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use slog::{info, warn, Logger};

use super::alert_engine::shared::SharedAlerting;
use super::alert_engine::{AlertEngine, AlertsConfig, Clock};
use super::fanout::{live_channel, Fanout};
use super::notifier::{Notifier, NotifierConfig};
use super::redis_bridge::{RedisBridge, RedisError};
use super::registry::{CountMachines, MachineRegistry, RefreshSettings};
use super::relay_link::{LinkError, RelayLink};
use super::storage_writer::{Drain, StorageWriter};
use crate::alerts::channel::Channel;
use crate::alerts::engine::Alert;
use crate::alerts::rule::{Policy, Rule};
use crate::alerts::silence::Silence;
use crate::config::RelayTarget;
use crate::events::LiveSender;
use crate::health::Health;
use crate::stats::Stats;
use crate::store::status::StoreStatus;
use crate::store::{poll, KnownMachine, Retention, Store};

/// How long a stopping hub waits for the storage writer's last batch.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Redis, when hubs share one.
#[derive(Clone)]
pub struct ClusterLink {
    pub url: String,
    pub hub_id: String,
    /// Whether Redis works (the bridge sets it, `/ready` reads it).
    pub health: Arc<Health>,
}

/// What the actors start with.
pub struct ActorsConfig {
    pub store: Arc<dyn Store>,
    pub store_status: Arc<StoreStatus>,
    pub stats: Arc<Stats>,
    /// Machines the store knows (their sessions start offline).
    pub known: Vec<KnownMachine>,
    pub rules: Vec<Rule>,
    /// The notification channels.
    pub channels: Vec<Channel>,
    /// Silences and maintenance windows.
    pub silences: Vec<Silence>,
    /// The dashboard's address, for links in notifications.
    pub dashboard: Option<Arc<str>>,
    /// Alerts firing when the hub last stopped.
    pub firing: Vec<Alert>,
    pub policy: Policy,
    pub retention: Retention,
    pub maintenance_interval: Duration,
    pub cluster: Option<ClusterLink>,
    pub relay: Option<RelayTarget>,
    /// Arbiters machine sessions are spread over (one per core).
    pub session_arbiters: usize,
    pub clock: Clock,
    pub log: Logger,
}

/// Why the actors could not start.
#[derive(Debug, thiserror::Error)]
pub enum ActorsError {
    #[error("the machine registry did not start")]
    Registry,
    #[error(transparent)]
    Redis(#[from] RedisError),
    #[error(transparent)]
    Relay(#[from] LinkError),
}

/// The running actors, by name.
pub struct Actors {
    pub registry: Addr<MachineRegistry>,
    pub writer: Addr<StorageWriter>,
    pub alerts: Addr<AlertEngine>,
    pub notifier: Addr<Notifier>,
    /// The viewers' channel (browsers, `Watch`, the relay link subscribe).
    pub live: LiveSender,
    arbiters: Vec<Arbiter>,
    log: Logger,
}

/// How often hubs sharing a store re-read machines' hub-side settings, and
/// the rules, channels and silences other hubs changed.
pub const SETTINGS_REFRESH: std::time::Duration = std::time::Duration::from_secs(3);

/// Keeps the registry's hub-side settings in step with the shared store,
/// so that a change made on another hub shows here (and is applied by the
/// session of a machine streaming here) within [`SETTINGS_REFRESH`].
fn refresh_settings(store: std::sync::Arc<dyn Store>, registry: Addr<MachineRegistry>, log: Logger) {
    actix::spawn(async move {
        let apply = |all| {
            let registry = registry.clone();
            async move { registry.send(RefreshSettings(all)).await.is_ok() }
        };
        poll::every(SETTINGS_REFRESH, "machine settings", || store.machine_settings(), apply, log).await;
    });
}

/// Keeps this hub's rules, channels and silences in step with the shared
/// store (what other hubs changed), every [`SETTINGS_REFRESH`].
fn refresh_alerting(store: Arc<dyn Store>, alerts: Addr<AlertEngine>, clock: Clock, log: Logger) {
    actix::spawn(async move {
        let read = || {
            let (store, read_at) = (store.clone(), clock());
            async move {
                Ok(SharedAlerting {
                    read_at,
                    rules: store.rules_or_defaults(Vec::new()).await?,
                    channels: store.channels().await?,
                    silences: store.silences().await?,
                })
            }
        };
        let apply = |shared| {
            let alerts = alerts.clone();
            async move { alerts.send(shared).await.is_ok() }
        };
        poll::every(SETTINGS_REFRESH, "rules, channels and silences", read, apply, log).await;
    });
}

impl Actors {
    /// Starts every actor; call inside a running actix system.
    pub async fn start(config: ActorsConfig) -> Result<Actors, ActorsError> {
        let log = config.log;
        let arbiters: Vec<Arbiter> = (0..config.session_arbiters.max(1)).map(|_| Arbiter::new()).collect();
        let handles: Vec<ArbiterHandle> = arbiters.iter().map(Arbiter::handle).collect();
        // The Redis bridge and the relay link do network I/O: each on an
        // arbiter of its own (first and last), not the system arbiter.
        let (bridge_arbiter, link_arbiter) = (handles[0].clone(), handles[handles.len() - 1].clone());
        let live = live_channel();
        let registry = MachineRegistry::new(handles, config.known, live.clone(), log.clone()).start();
        // The bridge hands the machines other hubs hold to the registry
        // through the broker: the registry must have subscribed first (it
        // has once it answers a message).
        registry.send(CountMachines).await.map_err(|_| ActorsError::Registry)?;
        let clustered = config.cluster.is_some();
        if clustered {
            refresh_settings(config.store.clone(), registry.clone(), log.clone());
        }
        if let Some(cluster) = config.cluster {
            let bridge = RedisBridge::new(&cluster.url, &cluster.hub_id, cluster.health, live.clone(), log.clone())?;
            RedisBridge::start_in_arbiter(&bridge_arbiter, |_| bridge);
            info!(log, "sharing the fleet through Redis"; "hub_id" => &cluster.hub_id);
        }
        if let Some(target) = &config.relay {
            let link = RelayLink::new(&target.url, &target.api_key, registry.clone(), live.clone(), log.clone())?;
            RelayLink::start_in_arbiter(&link_arbiter, |_| link);
            info!(log, "pushing the live feed to a relay"; "relay" => &target.url);
        }
        let writer = StorageWriter::new(
            config.store.clone(),
            registry.clone().recipient(),
            config.store_status,
            config.retention,
            config.maintenance_interval,
            log.clone(),
        )
        .start();
        let channels = super::alert_engine::channels::by_id(config.channels.clone());
        let alerts = AlertEngine::new(AlertsConfig {
            rules: config.rules.clone(),
            channels: config.channels,
            silences: config.silences,
            firing: config.firing.clone(),
            store: config.store.clone(),
            clock: config.clock.clone(),
            policy: config.policy,
            stats: config.stats.clone(),
            log: log.clone(),
        })
        .start();
        if clustered {
            refresh_alerting(config.store.clone(), alerts.clone(), config.clock.clone(), log.clone());
        }
        let notifier = Notifier::new(NotifierConfig {
            channels,
            rules: config.rules,
            firing: config.firing,
            clock: config.clock.clone(),
            store: config.store,
            policy: config.policy,
            stats: config.stats,
            dashboard: config.dashboard,
            log: log.clone(),
        })
        .start();
        Fanout::new(live.clone()).start();
        Ok(Actors { registry, writer, alerts, notifier, live, arbiters, log })
    }

    /// Commits what the storage writer holds (a stopping hub), within
    /// [`DRAIN_TIMEOUT`]; what it cannot write, agents resend.
    pub async fn drain(&self) {
        match tokio::time::timeout(DRAIN_TIMEOUT, self.writer.send(Drain)).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => warn!(self.log, "could not write the last samples; agents resend them"; "error" => %e),
            _ => warn!(self.log, "the last samples were not written in time; agents resend them"),
        }
    }

    /// Stops the arbiters the actors run on.
    pub fn stop(self) {
        for arbiter in self.arbiters {
            arbiter.stop();
        }
    }
}
