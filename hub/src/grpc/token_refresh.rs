//! Keeps the hub's book of issued agent tokens in step with the store:
//! tokens issued or revoked by another hub on the same PostgreSQL, and
//! tokens that ran out, end their streams here within [`TOKEN_REFRESH`].
//! Changes made on this hub reach its book at once (`http::agent_tokens`).

use std::sync::Arc;
use std::time::Duration;

use slog::{info, warn, Logger};
use tokio::sync::watch;

use crate::agent_tokens::book::TokenBook;
use crate::store::Store;

/// How often the store's tokens are read again.
pub const TOKEN_REFRESH: Duration = Duration::from_secs(2);

/// Refreshes `book` from `store` until `shutdown`. A failing store keeps
/// the last list (said once, and once when it is read again).
pub async fn run(store: Arc<dyn Store>, book: Arc<TokenBook>, mut shutdown: watch::Receiver<bool>, log: Logger) {
    let mut ticker = tokio::time::interval(TOKEN_REFRESH);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            changed = shutdown.changed() => if changed.is_err() || *shutdown.borrow() {
                return;
            },
        }
        match store.agent_tokens().await {
            Ok(tokens) => {
                book.replace(tokens, crate::now_ms());
                if std::mem::take(&mut failing) {
                    info!(log, "agent tokens read from the store again");
                }
            }
            Err(e) if !failing => {
                failing = true;
                warn!(log, "cannot read agent tokens from the store; keeping the last list"; "error" => %e);
            }
            Err(_) => {}
        }
    }
}
