//! Alerting: rules, their validation, and the per-(rule, machine) state
//! machine. Pure: the `AlertEngine` actor feeds it samples and the clock.
//!
//! # Layout
//! - [`input`]: reading one field of a JSON body, each refusal naming it.
//! - [`address`]: which notification URLs are accepted (private addresses
//!   only when allowed).
//! - [`channel`]: notification channels (email, chat services, paging,
//!   signed webhooks): the model, validation, and the view without secrets.
//! - [`part`]: what a rule watches: a machine-wide metric or one part of a
//!   machine (`disk_percent{mount="/data"}`, a glob allowed), compiled.
//! - [`trend`]: a series' recent averages and the least-squares line
//!   through them, for rules that predict ("disk full within 24 h").
//! - [`rule`]: the rule model and the validation of JSON input (every
//!   refusal names its field).
//! - [`silence`]: silences and recurring maintenance windows: validation,
//!   what they match, when they hold (time zones, across midnight).
//! - [`delivery`]: one attempt at notifying a channel, as logged per alert.
//! - [`engine`]: inactive → pending → firing → resolved, with `for`,
//!   `clear_for` and a clear threshold (hysteresis); offline rules.

pub mod address;
pub mod channel;
pub mod delivery;
pub mod engine;
pub mod input;
pub mod part;
pub mod rule;
pub mod silence;
pub mod trend;
