//! Alerting: rules, their validation, and the per-(rule, machine) state
//! machine. Pure: the `AlertEngine` actor feeds it samples and the clock.
//!
//! # Layout
//! - [`rule`]: the rule model and the validation of JSON input (every
//!   refusal names its field).
//! - [`engine`]: inactive → pending → firing → resolved, with `for`,
//!   `clear_for` and a clear threshold (hysteresis); offline rules.

pub mod engine;
pub mod rule;
