//! Any bytes as the body of `POST /api/rules`: parsed as JSON, then through
//! the rule validator. Nothing may panic; a refusal names a field; an
//! accepted rule encodes and reads back as the same rule.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sysmonstm_hub::alerts::rule::{from_input, Policy, Rule};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    match from_input(&input, "fuzz".into(), 1, 0, 0, Policy { allow_private_webhooks: false }) {
        Ok(rule) => {
            let json = serde_json::to_string(&rule).expect("an accepted rule encodes");
            let back: Rule = serde_json::from_str(&json).expect("and decodes");
            assert_eq!(serde_json::to_string(&back).expect("encodes again"), json);
        }
        Err(refusal) => assert!(!refusal.field.is_empty(), "a refusal names its field"),
    }
});
