//! Comparing secrets (agent tokens, admin tokens, relay API keys) without
//! leaking through timing how much of a guess was right.

use subtle::ConstantTimeEq;

/// Whether `presented` equals `expected`, in time independent of where they differ.
pub fn matches(presented: &str, expected: &str) -> bool {
    presented.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(header: &str) -> Option<&str> {
    header.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_identical() {
        assert!(matches("s3cret", "s3cret"));
        assert!(!matches("s3cret", "s3creT"));
        assert!(!matches("s3cre", "s3cret"));
        assert!(!matches("", "s3cret"));
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("abc"), None);
    }
}
