//! Times as clients write them in query strings and bodies: milliseconds
//! since the epoch, or RFC 3339. Pure.

use std::time::UNIX_EPOCH;

use crate::field_error::FieldError;

/// Milliseconds since the epoch, or RFC 3339; the error names `field`.
pub fn parse_time(field: &str, text: &str) -> Result<i64, FieldError> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    let time = humantime::parse_rfc3339_weak(text)
        .map_err(|_| FieldError::new(field, format!("`{text}` is neither ms since the epoch nor an RFC 3339 time")))?;
    let since =
        time.duration_since(UNIX_EPOCH).map_err(|_| FieldError::new(field, format!("`{text}` is before 1970")))?;
    Ok(since.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times() {
        assert_eq!(parse_time("from", "1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("from", "2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("from", "2023-11-14T22:13:20.5Z"), Ok(1_700_000_000_500));
        assert_eq!(parse_time("to", "yesterday").unwrap_err().field, "to");
    }
}
