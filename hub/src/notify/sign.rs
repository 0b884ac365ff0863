//! Signed webhooks: what a receiver checks.
//!
//! Each request carries `X-Sysmonstm-Timestamp` (Unix seconds, when it was
//! sent) and `X-Sysmonstm-Signature: sha256=HEX`, the HMAC-SHA256 of
//! `TIMESTAMP + "." + BODY` keyed with the channel's secret. A receiver
//! recomputes it over the raw body, compares in constant time, and refuses
//! a timestamp more than [`REPLAY_WINDOW`] from its own clock, so a
//! captured request cannot be replayed later. Pure: the time is passed in.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-sysmonstm-signature";
pub const TIMESTAMP_HEADER: &str = "x-sysmonstm-timestamp";
/// How far a signed request's timestamp may be from the receiver's clock.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(300);

type HmacSha256 = hmac::Hmac<Sha256>;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header's value: `sha256=HEX`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("sha256={}", crate::hex::encode(&mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Why a receiver refuses a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the timestamp is not a whole number of seconds")]
    BadTimestamp,
    #[error("the timestamp is {0} s from now, outside the replay window")]
    Stale(i64),
    #[error("the signature is not `sha256=` and hex")]
    BadSignature,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// The receiver's check, `now` in Unix seconds.
pub fn verify(secret: &str, timestamp: &str, signature: &str, body: &[u8], now: i64) -> Result<(), Refused> {
    let sent: i64 = timestamp.trim().parse().map_err(|_| Refused::BadTimestamp)?;
    let skew = now - sent;
    if skew.unsigned_abs() > REPLAY_WINDOW.as_secs() {
        return Err(Refused::Stale(skew));
    }
    let hex = signature.trim().strip_prefix("sha256=").ok_or(Refused::BadSignature)?;
    if hex.len() % 2 != 0 {
        return Err(Refused::BadSignature);
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| Refused::BadSignature)?;
    mac(secret, sent, body).verify_slice(&bytes).map_err(|_| Refused::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_body_verifies_and_a_replay_or_change_does_not() {
        let (secret, now, body) = ("0123456789abcdef", 1_700_000_000, br#"{"state":"firing"}"#);
        let sig = signature(secret, now, body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert_eq!(verify(secret, &now.to_string(), &sig, body, now + 10), Ok(()));
        assert_eq!(verify(secret, &now.to_string(), &sig, body, now + 301), Err(Refused::Stale(301)));
        assert_eq!(verify(secret, &now.to_string(), &sig, b"{}", now), Err(Refused::Mismatch));
        assert_eq!(verify("another secret!!", &now.to_string(), &sig, body, now), Err(Refused::Mismatch));
        // The timestamp is signed too: a fresh timestamp on an old signature fails.
        assert_eq!(verify(secret, &(now + 200).to_string(), &sig, body, now + 200), Err(Refused::Mismatch));
        assert_eq!(verify(secret, "soon", &sig, body, now), Err(Refused::BadTimestamp));
        assert_eq!(verify(secret, &now.to_string(), "md5=00", body, now), Err(Refused::BadSignature));
    }
}
