//! Keeps the hub's book of issued agent tokens in step with the store:
//! tokens issued or revoked by another hub on the same PostgreSQL, and
//! tokens that ran out, end their streams here within [`TOKEN_REFRESH`].
//! Changes made on this hub reach its book at once (`http::agent_tokens`).

use std::sync::Arc;
use std::time::Duration;

use slog::Logger;
use tokio::sync::watch;

use crate::agent_tokens::book::TokenBook;
use crate::store::{poll, Store};

/// How often the store's tokens are read again.
pub const TOKEN_REFRESH: Duration = Duration::from_secs(2);

/// Refreshes `book` from `store` until `shutdown`. A failing store keeps
/// the last list.
pub async fn run(store: Arc<dyn Store>, book: Arc<TokenBook>, shutdown: watch::Receiver<bool>, log: Logger) {
    let apply = |tokens| {
        book.replace(tokens, crate::now_ms());
        std::future::ready(!*shutdown.borrow())
    };
    poll::every(TOKEN_REFRESH, "agent tokens", || store.agent_tokens(), apply, log).await;
}
