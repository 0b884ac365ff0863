//! Re-reading something from a store shared by several hubs, on a timer:
//! agent tokens (`grpc::token_refresh`) and machines' hub-side settings
//! (`actors::system`). A failing store keeps what was last applied; that is
//! said once, and once more when the store answers again.

use std::future::Future;
use std::time::Duration;

use slog::{info, warn, Logger};

use super::StoreError;

/// Every `interval`, `read`s and hands the result to `apply`, until `apply`
/// answers false. `what` names it in the log ("agent tokens").
pub async fn every<T, R, RF, A, AF>(interval: Duration, what: &str, mut read: R, mut apply: A, log: Logger)
where
    R: FnMut() -> RF,
    RF: Future<Output = Result<T, StoreError>>,
    A: FnMut(T) -> AF,
    AF: Future<Output = bool>,
{
    let mut failing = false;
    loop {
        tokio::time::sleep(interval).await;
        match read().await {
            Ok(value) => {
                if std::mem::take(&mut failing) {
                    info!(log, "read from the store again"; "what" => what);
                }
                if !apply(value).await {
                    return;
                }
            }
            Err(e) if !failing => {
                failing = true;
                warn!(log, "cannot read from the store; keeping what was read last"; "what" => what, "error" => %e);
            }
            Err(_) => {}
        }
    }
}
