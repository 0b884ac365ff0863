//! One attempt at telling a channel about an alert, as logged and shown on
//! the alert (`GET /api/alerts/{id}`).

use serde::{Deserialize, Serialize};

use super::channel::Kind;
use super::engine::AlertState;

/// Longest error kept with an attempt, bytes.
pub const MAX_ERROR: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub alert_id: String,
    pub channel_id: String,
    pub channel_name: String,
    pub kind: Kind,
    /// Which of the alert's events was sent.
    pub state: AlertState,
    /// 1 for the first try.
    pub attempt: u32,
    /// When the attempt ended (ms).
    pub at: i64,
    pub ok: bool,
    pub error: Option<String>,
}

/// An error cut to [`MAX_ERROR`] bytes (at a character boundary).
pub fn clip(error: &str) -> String {
    let mut end = error.len().min(MAX_ERROR);
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    error[..end].to_owned()
}
