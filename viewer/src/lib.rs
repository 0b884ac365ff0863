//! What browsers see of a sysmonstm hub or relay, written once for both.
//!
//! # Layout
//! - [`dashboard`]: the embedded dashboard (`static/`), served as the hub
//!   serves it or in the relay's read-only mode.
//! - [`headers`]: the security headers on every response (a
//!   Content-Security-Policy with `frame-ancestors 'none'`, `nosniff`,
//!   `Referrer-Policy`).

pub mod dashboard;
pub mod headers;

pub use dashboard::Mode;
pub use headers::security_headers;
