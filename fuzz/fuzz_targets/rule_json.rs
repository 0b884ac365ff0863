//! Any bytes as the body of `POST /api/rules`, `/api/channels` and
//! `/api/silences`: parsed as JSON, then through each validator. Nothing
//! may panic; a refusal names a field; an accepted rule, channel or
//! silence encodes and reads back as the same; a silence says where it
//! stands at any time.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::{de::DeserializeOwned, Serialize};
use sysmonstm_hub::alerts::address::Policy;
use sysmonstm_hub::alerts::channel::{self, Channel, Stamp};
use sysmonstm_hub::alerts::rule::{from_input, Rule};
use sysmonstm_hub::alerts::silence::{self, Made, Silence};
use sysmonstm_hub::field_error::FieldError;

/// An accepted value reads back the same; a refusal names its field.
fn round_trips<T: Serialize + DeserializeOwned>(made: Result<T, FieldError>) -> Option<T> {
    match made {
        Ok(value) => {
            let json = serde_json::to_string(&value).expect("an accepted value encodes");
            let back: T = serde_json::from_str(&json).expect("and decodes");
            assert_eq!(serde_json::to_string(&back).expect("encodes again"), json);
            Some(back)
        }
        Err(refusal) => {
            assert!(!refusal.field.is_empty(), "a refusal names its field");
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let policy = Policy { allow_private_webhooks: false };
    round_trips::<Rule>(from_input(&input, "fuzz".into(), 1, 0, 0, policy));
    let stamp = Stamp { version: 1, created_at: 0, updated_at: 0 };
    if let Some(made) = round_trips::<Channel>(channel::from_input(&input, "fuzz".into(), stamp, None, policy)) {
        assert!(made.view().get("password").is_none(), "a view shows no secret");
    }
    let made = Made { id: "fuzz".into(), created_by: "fuzz".into(), now: 1_700_000_000_000 };
    if let Some(silence) = round_trips::<Silence>(silence::from_input(&input, made, |r| r == "r")) {
        for at in [i64::MIN, -1, 0, 1_700_000_000_000, i64::MAX] {
            silence.state(at);
        }
    }
});
