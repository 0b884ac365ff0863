//! Machine labels on the hub: the protocol's rules
//! ([`sysmonstm_protocol::labels`]) with refusals that name the label as a
//! field (`labels.env`), for request bodies and rule selectors.

pub use sysmonstm_protocol::labels::{merged, parse_pair, Labels, MAX_LABELS};

use crate::field_error::FieldError;

/// Checks a whole set; the error's field is `field.key` (`labels.env`).
pub fn check(field: &str, labels: &Labels) -> Result<(), FieldError> {
    sysmonstm_protocol::labels::check(labels).map_err(|(key, message)| match key {
        Some(key) => FieldError::new(format!("{field}.{key}"), message),
        None => FieldError::new(field, message),
    })
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

/// One condition on a machine's labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// `key=value`
    Is(String, String),
    /// `key!=value` (also true when the machine has no such label)
    IsNot(String, String),
    /// `key`: the machine has the label, whatever its value.
    Has(String),
}

impl Matcher {
    pub fn matches(&self, labels: &Labels) -> bool {
        match self {
            Matcher::Is(k, v) => labels.get(k) == Some(v),
            Matcher::IsNot(k, v) => labels.get(k) != Some(v),
            Matcher::Has(k) => labels.contains_key(k),
        }
    }
}

/// Parses `env=prod,role!=db,gpu` (all must hold); the error names `field`.
pub fn parse_selector(field: &str, text: &str) -> Result<Vec<Matcher>, FieldError> {
    let bad = |m: String| FieldError::new(field, m);
    let mut matchers = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let matcher = if let Some((k, v)) = part.split_once("!=") {
            Matcher::IsNot(k.to_owned(), v.to_owned())
        } else if let Some((k, v)) = part.split_once('=') {
            Matcher::Is(k.to_owned(), v.to_owned())
        } else {
            Matcher::Has(part.to_owned())
        };
        let (Matcher::Is(key, _) | Matcher::IsNot(key, _) | Matcher::Has(key)) = &matcher;
        sysmonstm_protocol::labels::check_key(key).map_err(|e| bad(format!("`{part}`: {e}")))?;
        matchers.push(matcher);
    }
    if matchers.len() > MAX_LABELS {
        return Err(bad(format!("{} conditions; at most {MAX_LABELS}", matchers.len())));
    }
    Ok(matchers)
}

/// True when every matcher holds.
pub fn all_match(matchers: &[Matcher], labels: &Labels) -> bool {
    matchers.iter().all(|m| m.matches(labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_need_every_condition() {
        let labels: Labels = [("env".to_owned(), "prod".to_owned()), ("role".to_owned(), "web".to_owned())].into();
        let sel = |t: &str| parse_selector("label", t).expect("valid");
        assert!(all_match(&sel("env=prod"), &labels));
        assert!(all_match(&sel("env=prod, role=web"), &labels));
        assert!(!all_match(&sel("env=prod,role=db"), &labels));
        assert!(all_match(&sel("role!=db"), &labels) && !all_match(&sel("role!=web"), &labels));
        assert!(all_match(&sel("gpu!=yes"), &labels), "no such label is not equal to anything");
        assert!(all_match(&sel("env"), &labels) && !all_match(&sel("gpu"), &labels));
        assert!(all_match(&sel(""), &labels), "no condition: every machine");
        assert!(all_match(&sel("note=a=b"), &[("note".to_owned(), "a=b".to_owned())].into()));
        assert_eq!(parse_selector("label", "Env=prod").unwrap_err().field, "label");
        assert!(parse_selector("label", "=prod").unwrap_err().message.contains("empty"));
    }

    #[test]
    fn json_objects_name_the_label_that_is_wrong() {
        let labels = from_json("labels", &json!({"env": "prod", "role": ""})).expect("valid");
        assert_eq!(labels.get("env").map(String::as_str), Some("prod"));
        assert_eq!(from_json("labels", &json!({"Env": "prod"})).unwrap_err().field, "labels.Env");
        assert_eq!(from_json("labels", &json!({"env": 3})).unwrap_err().field, "labels.env");
        assert_eq!(from_json("labels", &json!(["env"])).unwrap_err().field, "labels");
        let many: serde_json::Map<String, serde_json::Value> =
            (0..=MAX_LABELS).map(|i| (format!("k{i}"), json!(""))).collect();
        assert_eq!(from_json("labels", &serde_json::Value::Object(many)).unwrap_err().field, "labels");
    }
}
