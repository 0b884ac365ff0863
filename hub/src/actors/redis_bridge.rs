//! `RedisBridge`: joins hubs that share one Redis into one fleet view.
//!
//! Outbound: subscribes to this hub's own [`MetricsReceived`],
//! [`MachineWentOffline`] and [`AlertChanged`], keeps the newest state per
//! machine, and every [`FLUSH_INTERVAL`] writes them in one pipeline
//! (guarded upsert + publish, see [`crate::cluster`]). Inbound: a pub/sub
//! connection reads other hubs' states and re-issues them into the local
//! broker as [`RemoteMachineUpdated`] (alerts go straight to the viewers).
//! On every (re)connect it reads the machine keys, so a hub started late
//! sees the fleet at once.
//!
//! Redis is never on the sample path: when it is down, states are dropped
//! (the next sample brings them back), its [`Health`] says so for `/ready`,
//! and both sides reconnect by themselves with backoff. After Redis loses
//! its data, every hub's next flush writes its machines again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use actix_broker::{Broker, BrokerSubscribe, SystemBroker};
use deadpool_redis::redis::{self, AsyncCommands};
use deadpool_redis::{Pool, PoolConfig, Runtime, Timeouts};
use futures::StreamExt;
use slog::{debug, info, warn, Logger};
use sysmonstm_protocol::backoff::Backoff;

use super::fanout::alert_frame;
use crate::cluster::{self, Remote};
use crate::events::{
    AlertChanged, LiveEvent, LiveSender, MachineRemoved, MachineUpdate, MachineWentOffline, MetricsReceived,
    RemoteMachineRemoved, RemoteMachineUpdated,
};
use crate::health::Health;

/// How often pending states go to Redis (one pipeline each time).
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(50);
/// How long one Redis operation (connect, pipeline, scan) may take.
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(3);
/// Reconnect backoff of the subscriber.
const RECONNECT_MIN: Duration = Duration::from_millis(250);
const RECONNECT_MAX: Duration = Duration::from_secs(5);
/// Pooled connections for writes.
const POOL_SIZE: usize = 4;
/// Keys read per SCAN step when rebuilding.
const SCAN_COUNT: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("invalid Redis URL: {0}")]
    Url(String),
}

/// Everything the bridge needs to talk to Redis.
#[derive(Clone)]
struct Link {
    hub_id: Arc<str>,
    pool: Pool,
    client: redis::Client,
    status: Arc<Health>,
    log: Logger,
}

pub struct RedisBridge {
    link: Link,
    live: LiveSender,
    /// Newest unsent state per machine.
    pending: HashMap<String, Arc<MachineUpdate>>,
    pending_alerts: Vec<Arc<str>>,
    /// Machines removed here, whose keys go and whose removal is published.
    pending_removed: Vec<String>,
    flushing: bool,
}

impl RedisBridge {
    /// A bridge to `url`; fails only on a malformed URL (Redis may be down).
    pub fn new(
        url: &str,
        hub_id: &str,
        status: Arc<Health>,
        live: LiveSender,
        log: Logger,
    ) -> Result<Self, RedisError> {
        let client = redis::Client::open(url).map_err(|e| RedisError::Url(e.to_string()))?;
        let mut config = deadpool_redis::Config::from_url(url);
        let timeouts =
            Timeouts { wait: Some(REDIS_TIMEOUT), create: Some(REDIS_TIMEOUT), recycle: Some(REDIS_TIMEOUT) };
        config.pool = Some(PoolConfig { max_size: POOL_SIZE, timeouts, ..PoolConfig::default() });
        let pool = config.create_pool(Some(Runtime::Tokio1)).map_err(|e| RedisError::Url(e.to_string()))?;
        let link = Link { hub_id: Arc::from(hub_id), pool, client, status, log };
        Ok(RedisBridge {
            link,
            live,
            pending: HashMap::new(),
            pending_alerts: Vec::new(),
            pending_removed: Vec::new(),
            flushing: false,
        })
    }

    fn flush(&mut self, ctx: &mut Context<Self>) {
        let idle = self.pending.is_empty() && self.pending_alerts.is_empty() && self.pending_removed.is_empty();
        if self.flushing || idle {
            return;
        }
        self.flushing = true;
        let machines = std::mem::take(&mut self.pending);
        let alerts = std::mem::take(&mut self.pending_alerts);
        let removed = std::mem::take(&mut self.pending_removed);
        let link = self.link.clone();
        let work = async move {
            let result =
                tokio::time::timeout(REDIS_TIMEOUT, link.write(machines.into_values(), &alerts, &removed)).await;
            match result {
                Ok(Ok(())) => {
                    link.up();
                    Vec::new()
                }
                Ok(Err(e)) => {
                    link.down(&format!("write failed: {e}"));
                    removed
                }
                Err(_) => {
                    link.down("write timed out");
                    removed
                }
            }
        };
        // States come again with the next sample; a removal is said only once, so it waits for Redis.
        ctx.spawn(work.into_actor(self).map(|unsent, bridge, _| {
            bridge.flushing = false;
            bridge.pending_removed.extend(unsent);
        }));
    }
}

impl Link {
    fn up(&self) {
        if self.status.recover() {
            info!(self.log, "Redis is back");
        }
    }

    fn down(&self, error: &str) {
        if self.status.fail(error.to_owned()) {
            warn!(self.log, "Redis unavailable; this hub goes on alone and retries"; "error" => error);
        }
    }

    /// Upserts and publishes `machines`, publishes `alerts`, in one pipeline.
    async fn write(
        &self,
        machines: impl Iterator<Item = Arc<MachineUpdate>>,
        alerts: &[Arc<str>],
        removed: &[String],
    ) -> Result<(), String> {
        let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
        let sha: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(cluster::UPSERT_SCRIPT)
            .query_async(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        let ttl_ms = cluster::MACHINE_TTL.as_millis() as u64;
        let mut pipe = redis::pipe();
        for update in machines {
            let state = match cluster::encode_machine(&self.hub_id, &update) {
                Ok(state) => state,
                Err(e) => {
                    debug!(self.log, "machine state not encodable"; "machine_id" => update.machine_id(), "error" => %e);
                    continue;
                }
            };
            pipe.cmd("EVALSHA")
                .arg(&sha)
                .arg(1)
                .arg(cluster::machine_key(update.machine_id()))
                .arg(update.summary.sample_ts)
                .arg(&*self.hub_id)
                .arg(state)
                .arg(ttl_ms)
                .arg(cluster::CHANNEL)
                .ignore();
        }
        for machine_id in removed {
            pipe.del(cluster::machine_key(machine_id)).ignore();
            pipe.publish(cluster::CHANNEL, cluster::encode_removed(&self.hub_id, machine_id)).ignore();
        }
        for frame in alerts {
            pipe.publish(cluster::CHANNEL, cluster::encode_alert(&self.hub_id, frame)).ignore();
        }
        pipe.query_async::<()>(&mut conn).await.map_err(|e| e.to_string())
    }

    /// Hands one message from Redis to the broker or the viewers.
    fn deliver(&self, payload: &[u8], live: &LiveSender) {
        match cluster::decode(&self.hub_id, payload) {
            Ok(None) => {}
            Ok(Some(Remote::Machine { hub, update })) => {
                Broker::<SystemBroker>::issue_async(RemoteMachineUpdated { hub, update });
            }
            Ok(Some(Remote::Alert(frame))) => {
                let _ = live.send(LiveEvent::Alert(frame));
            }
            Ok(Some(Remote::Removed(machine_id))) => {
                Broker::<SystemBroker>::issue_async(RemoteMachineRemoved { machine_id });
            }
            Err(e) => debug!(self.log, "unreadable message from Redis ignored"; "error" => %e),
        }
    }

    /// Reads every machine key (other hubs' machines, for a fresh view).
    async fn rebuild(&self, live: &LiveSender) -> Result<usize, String> {
        let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
        let pattern = format!("{}*", cluster::KEY_PREFIX);
        let mut cursor: u64 = 0;
        let mut seen = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(SCAN_COUNT)
                .query_async(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            for key in keys {
                let state: Option<Vec<u8>> = conn.hget(&key, "state").await.map_err(|e| e.to_string())?;
                if let Some(state) = state {
                    self.deliver(&state, live);
                    seen += 1;
                }
            }
            if next == 0 {
                return Ok(seen);
            }
            cursor = next;
        }
    }

    /// Subscribes and delivers other hubs' messages until the connection ends.
    async fn listen(&self, live: &LiveSender) -> Result<(), String> {
        let connect = async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(cluster::CHANNEL).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let pubsub = tokio::time::timeout(REDIS_TIMEOUT, connect)
            .await
            .map_err(|_| "connect timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        let machines = tokio::time::timeout(REDIS_TIMEOUT * 10, self.rebuild(live))
            .await
            .map_err(|_| "reading machine keys timed out".to_owned())??;
        self.up();
        info!(self.log, "joined the fleet in Redis"; "machines_in_redis" => machines);
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            self.deliver(message.get_payload_bytes(), live);
        }
        Err("subscription closed".into())
    }

    /// Listens forever, reconnecting with backoff.
    async fn listen_forever(self, live: LiveSender) {
        let mut backoff = Backoff::new(RECONNECT_MIN, RECONNECT_MAX);
        loop {
            if let Err(e) = self.listen(&live).await {
                self.down(&format!("subscription: {e}"));
            }
            // Redis working again (a subscription ended by itself) starts over.
            if !self.status.is_failing() {
                backoff.reset();
            }
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }
}

impl Actor for RedisBridge {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe_system_async::<MetricsReceived>(ctx);
        self.subscribe_system_async::<MachineWentOffline>(ctx);
        self.subscribe_system_async::<AlertChanged>(ctx);
        self.subscribe_system_async::<MachineRemoved>(ctx);
        ctx.run_interval(FLUSH_INTERVAL, |bridge, ctx| bridge.flush(ctx));
        ctx.spawn(self.link.clone().listen_forever(self.live.clone()).into_actor(self));
    }
}

impl Handler<MetricsReceived> for RedisBridge {
    type Result = ();

    fn handle(&mut self, msg: MetricsReceived, _: &mut Context<Self>) {
        self.pending.insert(msg.0.machine_id().to_owned(), msg.0);
    }
}

impl Handler<MachineWentOffline> for RedisBridge {
    type Result = ();

    fn handle(&mut self, msg: MachineWentOffline, _: &mut Context<Self>) {
        self.pending.insert(msg.0.machine_id().to_owned(), msg.0);
    }
}

impl Handler<MachineRemoved> for RedisBridge {
    type Result = ();

    fn handle(&mut self, msg: MachineRemoved, _: &mut Context<Self>) {
        self.pending.remove(&msg.machine_id);
        self.pending_removed.push(msg.machine_id);
    }
}

impl Handler<AlertChanged> for RedisBridge {
    type Result = ();

    fn handle(&mut self, msg: AlertChanged, _: &mut Context<Self>) {
        self.pending_alerts.push(alert_frame(&msg));
    }
}
