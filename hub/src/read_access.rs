//! Who may read when `--viewer-token` is set: whoever presents the viewer
//! token or the admin token. One rule for the HTTP side (dashboard, API,
//! `/metrics`) and `FleetQuery`.

use std::sync::Arc;

use sysmonstm_protocol::token;

#[derive(Clone, Debug, Default)]
pub struct ReadAccess {
    /// Empty: reading is open to all.
    tokens: Vec<Arc<str>>,
}

impl ReadAccess {
    /// Open without a viewer token; else the viewer and the admin token read.
    pub fn new(viewer_token: Option<&str>, admin_token: &Arc<str>) -> Self {
        ReadAccess { tokens: viewer_token.map(|v| vec![Arc::from(v), admin_token.clone()]).unwrap_or_default() }
    }

    /// True when reading needs a token.
    pub fn required(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// True when `given` may read. Every token is compared (in constant
    /// time each), so the time taken does not say which one matched.
    pub fn grants(&self, given: &str) -> bool {
        self.tokens.iter().fold(false, |any, t| token::matches(given, t) | any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_and_admin_tokens_read_when_a_viewer_token_is_set() {
        let admin: Arc<str> = Arc::from("admin-token");
        let open = ReadAccess::new(None, &admin);
        assert!(!open.required());
        let guarded = ReadAccess::new(Some("viewer-token"), &admin);
        assert!(guarded.required());
        assert!(guarded.grants("viewer-token") && guarded.grants("admin-token"));
        assert!(!guarded.grants("other") && !guarded.grants(""));
    }
}
