//! Machine labels (`env=prod`, `role=web`): what a valid set looks like and
//! how `key=value` is written. Pure; the agent's Hello, agent tokens and
//! `PATCH /api/machines/{id}` all check their labels here, so every refusal
//! names the label the same way.

use std::collections::BTreeMap;

use crate::field_error::FieldError;

/// A machine's labels, ordered by key (as shown and as exported).
pub type Labels = BTreeMap<String, String>;

/// Longest label key.
pub const MAX_KEY_LEN: usize = 64;
/// Longest label value, in bytes.
pub const MAX_VALUE_BYTES: usize = 256;
/// Most labels one machine carries.
pub const MAX_LABELS: usize = 32;

/// Checks one key: `[a-z0-9_.-]{1,64}`.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("a label key is empty".into());
    }
    if key.len() > MAX_KEY_LEN {
        return Err(format!("label key {key:?} is {} bytes; at most {MAX_KEY_LEN}", key.len()));
    }
    if let Some(bad) = key.chars().find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '.' | '-')) {
        return Err(format!("label key {key:?} contains {bad:?}; keys use a-z, 0-9, '_', '.' and '-'"));
    }
    Ok(())
}

/// Checks one value: at most 256 bytes, no control characters.
pub fn check_value(key: &str, value: &str) -> Result<(), String> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(format!("label {key:?} has a value of {} bytes; at most {MAX_VALUE_BYTES}", value.len()));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("label {key:?} has a control character in its value"));
    }
    Ok(())
}

/// Checks a whole set; the error's field is `field.key` (`labels.env`).
pub fn check(field: &str, labels: &Labels) -> Result<(), FieldError> {
    if labels.len() > MAX_LABELS {
        return Err(FieldError::new(field, format!("{} labels; at most {MAX_LABELS}", labels.len())));
    }
    for (key, value) in labels {
        check_key(key).map_err(|e| FieldError::new(format!("{field}.{key}"), e))?;
        check_value(key, value).map_err(|e| FieldError::new(format!("{field}.{key}"), e))?;
    }
    Ok(())
}

/// Reads labels from a JSON object of strings, naming what is wrong.
pub fn from_json(field: &str, value: &serde_json::Value) -> Result<Labels, FieldError> {
    let object = value
        .as_object()
        .ok_or_else(|| FieldError::new(field, "must be an object of strings, like {\"env\": \"prod\"}"))?;
    let mut labels = Labels::new();
    for (key, value) in object {
        let text = value
            .as_str()
            .ok_or_else(|| FieldError::new(format!("{field}.{key}"), "a label's value must be a string"))?;
        labels.insert(key.clone(), text.to_owned());
    }
    check(field, &labels)?;
    Ok(labels)
}

/// Parses `key=value` (split at the first `=`; the value may be empty).
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    let (key, value) = text.split_once('=').ok_or_else(|| format!("{text:?} is not key=value (like env=prod)"))?;
    check_key(key)?;
    check_value(key, value)?;
    Ok((key.to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_values_and_counts_are_bounded_and_named() {
        assert!(check_key("env").is_ok() && check_key("k8s.io-zone_2").is_ok());
        assert!(check_key("").unwrap_err().contains("empty"));
        assert!(check_key("Env").unwrap_err().contains("'E'"));
        assert!(check_key(&"k".repeat(65)).unwrap_err().contains("at most 64"));
        assert!(check_key(&"k".repeat(64)).is_ok());
        assert!(check_value("env", &"v".repeat(256)).is_ok());
        assert!(check_value("env", &"v".repeat(257)).unwrap_err().contains("257 bytes"));
        assert!(check_value("env", "a\nb").unwrap_err().contains("control"));
        let many: Labels = (0..33).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(check("labels", &many).unwrap_err().field, "labels");
    }

    #[test]
    fn json_objects_name_the_label_that_is_wrong() {
        let labels = from_json("labels", &json!({"env": "prod", "role": ""})).expect("valid");
        assert_eq!(labels.get("env").map(String::as_str), Some("prod"));
        assert_eq!(from_json("labels", &json!({"Env": "prod"})).unwrap_err().field, "labels.Env");
        assert_eq!(from_json("labels", &json!({"env": 3})).unwrap_err().field, "labels.env");
        assert_eq!(from_json("labels", &json!(["env"])).unwrap_err().field, "labels");
    }

    #[test]
    fn pairs_split_at_the_first_equals() {
        assert_eq!(parse_pair("env=prod").expect("pair"), ("env".into(), "prod".into()));
        assert_eq!(parse_pair("url=a=b").expect("pair"), ("url".into(), "a=b".into()));
        assert_eq!(parse_pair("empty=").expect("pair"), ("empty".into(), String::new()));
        assert!(parse_pair("env").unwrap_err().contains("key=value"));
        assert!(parse_pair("=prod").unwrap_err().contains("empty"));
    }
}
