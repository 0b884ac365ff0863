//! Notifications: what an alert says, in the form each channel kind takes,
//! and sending it. The `Notifier` actor decides when; this module how.
//!
//! # Layout
//! - [`message`]: a notification (one alert or a group) and its words:
//!   title, plain text, value against threshold, duration, top processes,
//!   the link to the machine's page (pure).
//! - [`dispatch`]: when notifications go and what each carries: silences
//!   holding them back, groups gathered for their wait, repeats until
//!   acknowledged (pure).
//! - [`render`]: one template per channel kind: the HTTP body or the mail
//!   each service takes (pure).
//! - [`sign`]: the signed webhook's HMAC and the receiver's check against
//!   replays (pure).
//! - [`send`]: HTTP (with the private-address guard) and SMTP, retried
//!   with backoff, every try reported.

pub mod dispatch;
pub mod message;
pub mod render;
pub mod send;
pub mod sign;
