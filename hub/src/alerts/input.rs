//! Reading one field of a JSON object, for rules and channels alike: each
//! refusal names the field it is about.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::field_error::FieldError;

pub fn refuse(field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, message)
}

/// The object a body must be.
pub fn object(input: &Value) -> Result<&Map<String, Value>, FieldError> {
    match input {
        Value::Object(map) => Ok(map),
        _ => Err(refuse("body", "must be a JSON object")),
    }
}

/// Refuses a key not in `known` (a key named "" is reported as `body`, so
/// that the refusal names a field).
pub fn only_known(map: &Map<String, Value>, known: &[&str]) -> Result<(), FieldError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => {
            let field = if unknown.is_empty() { "body" } else { unknown.as_str() };
            Err(refuse(field, format!("unknown field `{unknown}`")))
        }
        None => Ok(()),
    }
}

pub fn string<'a>(input: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, FieldError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(refuse(field, format!("must be a string, got {other}"))),
    }
}

/// A string that must be there and not blank, trimmed.
pub fn required<'a>(input: &'a Map<String, Value>, field: &str) -> Result<&'a str, FieldError> {
    match string(input, field)?.map(str::trim) {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(refuse(field, "is required")),
    }
}

pub fn number(input: &Map<String, Value>, field: &str) -> Result<Option<f64>, FieldError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            n.as_f64().filter(|v| v.is_finite()).map(Some).ok_or_else(|| refuse(field, "must be a finite number"))
        }
        Some(other) => Err(refuse(field, format!("must be a number, got {other}"))),
    }
}

pub fn boolean(input: &Map<String, Value>, field: &str) -> Result<Option<bool>, FieldError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(refuse(field, format!("must be true or false, got {other}"))),
    }
}

/// A list of strings, at most `max` of them.
pub fn strings(input: &Map<String, Value>, field: &str, max: usize) -> Result<Vec<String>, FieldError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            if items.len() > max {
                return Err(refuse(field, format!("at most {max} entries")));
            }
            items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.trim().to_owned()),
                    other => Err(refuse(field, format!("must be a list of strings, got {other}"))),
                })
                .collect()
        }
        Some(other) => Err(refuse(field, format!("must be a list, got {other}"))),
    }
}

pub fn duration(input: &Map<String, Value>, field: &str) -> Result<Duration, FieldError> {
    let Some(text) = string(input, field)? else { return Ok(Duration::ZERO) };
    if text.trim_start().starts_with('-') {
        return Err(refuse(field, format!("`{text}` is negative; durations are 0s or more")));
    }
    humantime::parse_duration(text.trim())
        .map_err(|e| refuse(field, format!("`{text}` is not a duration ({e}); write e.g. 30s, 5m")))
}
