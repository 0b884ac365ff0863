//! Durations for flags and environment values: "500ms", "1s", "5m", "1h 30m".

use std::time::Duration;

/// Parses a human duration; refuses zero, which no interval can be.
pub fn parse_positive(text: &str) -> Result<Duration, String> {
    let value = humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration ({e}); write e.g. 500ms, 1s, 5m"))?;
    if value.is_zero() {
        return Err(format!("`{text}` is zero; give a positive duration"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_positive("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_positive("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_positive("2m"), Ok(Duration::from_secs(120)));
    }

    #[test]
    fn refuses_nonsense_and_zero() {
        assert!(parse_positive("fast").unwrap_err().contains("not a duration"));
        assert!(parse_positive("5").is_err());
        assert!(parse_positive("0s").unwrap_err().contains("zero"));
    }
}
