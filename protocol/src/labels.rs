//! Machine labels (`env=prod`, `role=web`): the one rule for what a label
//! may be, for the agent's `--label` and every hub that receives one.
//! Keys `[a-z0-9_.-]{1,64}`, values at most 256 bytes without control
//! characters, at most 32 labels.

use std::collections::BTreeMap;

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

/// Checks a whole set: on a refusal, the key at fault (None: the count).
pub fn check(labels: &Labels) -> Result<(), (Option<&str>, String)> {
    if labels.len() > MAX_LABELS {
        return Err((None, format!("{} labels; at most {MAX_LABELS}", labels.len())));
    }
    for (key, value) in labels {
        check_key(key).and_then(|()| check_value(key, value)).map_err(|e| (Some(key.as_str()), e))?;
    }
    Ok(())
}

/// Parses `key=value` (split at the first `=`; the value may be empty).
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    let (key, value) = text.split_once('=').ok_or_else(|| format!("{text:?} is not key=value (like env=prod)"))?;
    check_key(key)?;
    check_value(key, value)?;
    Ok((key.to_owned(), value.to_owned()))
}

/// `base` with `over`'s values winning for the same key.
pub fn merged(base: &Labels, over: &Labels) -> Labels {
    let mut all = base.clone();
    all.extend(over.iter().map(|(k, v)| (k.clone(), v.clone())));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_values_and_counts_are_bounded() {
        assert!(check_key("env").is_ok() && check_key("k8s.io-zone_2").is_ok());
        assert!(check_key("").unwrap_err().contains("empty"));
        assert!(check_key("Env").unwrap_err().contains("'E'"));
        assert!(check_key(&"k".repeat(65)).unwrap_err().contains("at most 64"));
        assert!(check_key(&"k".repeat(64)).is_ok());
        assert!(check_value("env", &"v".repeat(256)).is_ok());
        assert!(check_value("env", &"v".repeat(257)).unwrap_err().contains("257 bytes"));
        assert!(check_value("env", "a\nb").unwrap_err().contains("control"));
        let many: Labels = (0..33).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(check(&many).unwrap_err().0, None);
        let bad: Labels = [("ok".to_owned(), String::new()), ("No".to_owned(), String::new())].into();
        assert_eq!(check(&bad).unwrap_err().0, Some("No"));
    }

    #[test]
    fn pairs_split_at_the_first_equals_and_later_sets_win() {
        assert_eq!(parse_pair("env=prod").expect("pair"), ("env".into(), "prod".into()));
        assert_eq!(parse_pair("url=a=b").expect("pair"), ("url".into(), "a=b".into()));
        assert_eq!(parse_pair("empty=").expect("pair"), ("empty".into(), String::new()));
        assert!(parse_pair("env").unwrap_err().contains("key=value"));
        assert!(parse_pair("=prod").unwrap_err().contains("empty"));
        let agent: Labels = [("env".to_owned(), "dev".to_owned()), ("role".to_owned(), "web".to_owned())].into();
        let hub: Labels = [("env".to_owned(), "prod".to_owned())].into();
        let all = merged(&agent, &hub);
        assert_eq!((all["env"].as_str(), all["role"].as_str()), ("prod", "web"));
    }
}
