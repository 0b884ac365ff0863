//! `Notifier`: delivers alert webhooks.
//!
//! On every fire and resolve, POSTs `{"state", "alert", "rule"}` to each of
//! the rule's URLs, each delivery on its own task (a slow endpoint never
//! delays evaluation or other deliveries), with a timeout and retries with
//! backoff. Host names are resolved first and, unless private webhooks are
//! allowed, refused when they point at loopback, link-local or private
//! addresses; the request then goes to the address that was checked.
//! Outcomes are counted in `/api/stats`.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use actix_broker::BrokerSubscribe;
use slog::{debug, warn, Logger};
use sysmonstm_protocol::backoff::Backoff;

use crate::alerts::rule::{check_webhook, is_private, Policy};
use crate::events::AlertChanged;
use crate::stats::Stats;

/// How long one delivery attempt may take.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts per delivery.
pub const WEBHOOK_ATTEMPTS: u32 = 4;
/// Delay before the first retry; doubles after each.
pub const WEBHOOK_RETRY_FIRST: Duration = Duration::from_millis(500);
/// Longest pause between two attempts.
pub const WEBHOOK_RETRY_MAX: Duration = Duration::from_secs(8);

pub struct Notifier {
    policy: Policy,
    stats: Arc<Stats>,
    log: Logger,
}

impl Notifier {
    pub fn new(policy: Policy, stats: Arc<Stats>, log: Logger) -> Self {
        Notifier { policy, stats, log }
    }
}

impl Actor for Notifier {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe_system_async::<AlertChanged>(ctx);
    }
}

impl Handler<AlertChanged> for Notifier {
    type Result = ();

    fn handle(&mut self, msg: AlertChanged, _: &mut Context<Self>) {
        let Some(rule) = msg.rule else { return };
        if rule.webhooks.is_empty() {
            return;
        }
        let body = serde_json::json!({ "state": msg.alert.state, "alert": &*msg.alert, "rule": &*rule });
        let body = Arc::new(body.to_string());
        for url in &rule.webhooks {
            let (url, body, policy, stats, log) =
                (url.clone(), body.clone(), self.policy, self.stats.clone(), self.log.clone());
            actix::spawn(async move {
                match deliver(&url, &body, policy, &stats).await {
                    Ok(()) => {
                        stats.webhooks_delivered.fetch_add(1, Ordering::Relaxed);
                        debug!(log, "webhook delivered"; "url" => &url);
                    }
                    Err(e) => {
                        stats.webhooks_failed.fetch_add(1, Ordering::Relaxed);
                        warn!(log, "webhook failed"; "url" => &url, "error" => e);
                    }
                }
            });
        }
    }
}

/// The address to send to, after checking where the name points.
async fn resolve(url: &reqwest::Url, policy: Policy) -> Result<(String, SocketAddr), String> {
    let host = url.host_str().ok_or("no host")?.trim_matches(['[', ']']).to_owned();
    let port = url.port_or_known_default().ok_or("no port")?;
    let addr = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    if !policy.allow_private_webhooks && is_private(addr.ip()) {
        return Err(format!("{host} resolves to {}, a private address (see --allow-private-webhooks)", addr.ip()));
    }
    Ok((host, addr))
}

async fn deliver(url: &str, body: &str, policy: Policy, stats: &Stats) -> Result<(), String> {
    let url = check_webhook(url, policy)?;
    let (host, addr) = resolve(&url, policy).await?;
    let client =
        reqwest::Client::builder().timeout(WEBHOOK_TIMEOUT).resolve(&host, addr).build().map_err(|e| e.to_string())?;
    let mut backoff = Backoff::new(WEBHOOK_RETRY_FIRST, WEBHOOK_RETRY_MAX);
    let mut last = String::new();
    for attempt in 1..=WEBHOOK_ATTEMPTS {
        if attempt > 1 {
            stats.webhook_retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(backoff.next_delay()).await;
        }
        let sent = client
            .post(url.clone())
            .header("content-type", "application/json")
            .header("user-agent", concat!("sysmonstm-hub/", env!("CARGO_PKG_VERSION")))
            .body(body.to_owned())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => last = format!("HTTP {}", response.status()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("{last} after {WEBHOOK_ATTEMPTS} attempts"))
}
