//! The issued tokens one hub checks agent streams against: found by the
//! hash of what the agent presents, refreshed from the store (so a token
//! revoked on another hub sharing PostgreSQL stops working here too), and a
//! watch that tells each stream when its token stopped being valid.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use glob::Pattern;
use tokio::sync::watch;

use super::{hash, AgentToken, TokenState};

/// Why a presented secret is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Revoked,
    Expired,
}

/// A valid token as a stream holds it.
#[derive(Clone, Debug)]
pub struct Found {
    pub id: String,
    pub machines: Pattern,
    /// Given to machines that connect with it.
    pub labels: crate::labels::Labels,
}

struct Entry {
    token: AgentToken,
    /// None if the glob no longer parses: the token then matches nothing.
    machines: Option<Pattern>,
}

#[derive(Default)]
struct Index {
    by_hash: HashMap<String, Entry>,
    /// Token id -> its hash.
    by_id: HashMap<String, String>,
    /// Ids valid when the index last changed or was refreshed.
    valid: HashSet<String>,
}

impl Index {
    fn build(tokens: Vec<AgentToken>, now_ms: i64) -> Index {
        let mut index = Index::default();
        for token in tokens {
            index.add(token, now_ms);
        }
        index
    }

    fn add(&mut self, token: AgentToken, now_ms: i64) {
        if token.state(now_ms) == TokenState::Active {
            self.valid.insert(token.id.clone());
        }
        self.by_id.insert(token.id.clone(), token.hash.clone());
        let machines = Pattern::new(&token.machine_glob).ok();
        self.by_hash.insert(token.hash.clone(), Entry { token, machines });
    }

    fn by_id(&self, id: &str) -> Option<&AgentToken> {
        self.by_id.get(id).and_then(|h| self.by_hash.get(h)).map(|e| &e.token)
    }
}

/// Shared by the gRPC side (checks) and the HTTP side (issues, revokes).
pub struct TokenBook {
    index: RwLock<Index>,
    /// Bumped whenever a token that was valid no longer is.
    lost: watch::Sender<u64>,
}

impl TokenBook {
    pub fn new(tokens: Vec<AgentToken>, now_ms: i64) -> Arc<TokenBook> {
        Arc::new(TokenBook { index: RwLock::new(Index::build(tokens, now_ms)), lost: watch::channel(0).0 })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// True when no token was ever issued (revoked ones count: revoking the
    /// last token never opens the hub to agents without one).
    pub fn is_empty(&self) -> bool {
        self.read().by_hash.is_empty()
    }

    /// The token `secret` is, if it is valid at `now_ms`.
    pub fn find(&self, secret: &str, now_ms: i64) -> Result<Found, Refused> {
        let index = self.read();
        let entry = index.by_hash.get(&hash(secret)).ok_or(Refused::Unknown)?;
        match (entry.token.state(now_ms), &entry.machines) {
            (TokenState::Revoked, _) => Err(Refused::Revoked),
            (TokenState::Expired, _) => Err(Refused::Expired),
            (TokenState::Active, None) => Err(Refused::Unknown),
            (TokenState::Active, Some(machines)) => {
                Ok(Found { id: entry.token.id.clone(), machines: machines.clone(), labels: entry.token.labels.clone() })
            }
        }
    }

    /// Whether token `id` is still valid at `now_ms`.
    pub fn is_valid(&self, id: &str, now_ms: i64) -> bool {
        let index = self.read();
        index.valid.contains(id) && index.by_id(id).is_some_and(|t| t.state(now_ms) == TokenState::Active)
    }

    /// Takes the store's current list; tells streams if a token they may
    /// hold was revoked elsewhere or ran out.
    pub fn replace(&self, tokens: Vec<AgentToken>, now_ms: i64) {
        let fresh = Index::build(tokens, now_ms);
        let lost = {
            let mut index = self.write();
            let lost = index.valid.iter().any(|id| !fresh.valid.contains(id));
            *index = fresh;
            lost
        };
        if lost {
            self.lost.send_modify(|n| *n += 1);
        }
    }

    /// A token just issued here.
    pub fn insert(&self, token: AgentToken, now_ms: i64) {
        self.write().add(token, now_ms);
    }

    /// A token just revoked here: its streams end now.
    pub fn revoke(&self, id: &str, at_ms: i64) {
        {
            let mut index = self.write();
            index.valid.remove(id);
            if let Some(entry) = index.by_id.get(id).cloned().and_then(|h| index.by_hash.get_mut(&h)) {
                entry.token.revoked_at.get_or_insert(at_ms);
            }
        }
        self.lost.send_modify(|n| *n += 1);
    }

    /// What a stream authenticated with token `id` waits on.
    pub fn watch(self: &Arc<Self>, id: String) -> TokenWatch {
        TokenWatch { book: self.clone(), id, lost: self.lost.subscribe() }
    }
}

/// Resolves once a stream's token is no longer valid.
pub struct TokenWatch {
    book: Arc<TokenBook>,
    id: String,
    lost: watch::Receiver<u64>,
}

impl TokenWatch {
    /// Waits until the token is revoked or expired (as the book last saw it).
    pub async fn ended(&mut self, now: impl Fn() -> i64) {
        loop {
            if !self.book.is_valid(&self.id, now()) {
                return;
            }
            if self.lost.changed().await.is_err() {
                // The book is gone with the hub; the stream ends with it.
                return std::future::pending().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labels;

    fn token(id: &str, secret: &str, glob: &str, expires_at: Option<i64>) -> AgentToken {
        AgentToken {
            id: id.into(),
            hash: hash(secret),
            machine_glob: glob.into(),
            labels: Labels::new(),
            description: String::new(),
            created_at: 0,
            expires_at,
            revoked_at: None,
        }
    }

    #[test]
    fn found_by_secret_refused_when_revoked_or_expired() {
        let book = TokenBook::new(vec![token("a", "sa", "web-*", None), token("b", "sb", "*", Some(100))], 0);
        let found = book.find("sa", 0).expect("valid");
        assert!(found.machines.matches("web-1") && !found.machines.matches("db-1"));
        assert_eq!(book.find("nope", 0).unwrap_err(), Refused::Unknown);
        assert!(book.find("sb", 99).is_ok());
        assert_eq!(book.find("sb", 100).unwrap_err(), Refused::Expired);
        book.revoke("a", 5);
        assert_eq!(book.find("sa", 6).unwrap_err(), Refused::Revoked);
        assert!(!book.is_empty(), "revoked tokens still count: the hub stays closed");
        assert!(TokenBook::new(Vec::new(), 0).is_empty());
    }

    #[tokio::test]
    async fn a_watch_ends_when_its_token_is_revoked_here_or_elsewhere_or_runs_out() {
        let book = TokenBook::new(vec![token("a", "sa", "*", None), token("b", "sb", "*", Some(100))], 0);
        let mut a = book.watch("a".into());
        let pending = tokio::time::timeout(std::time::Duration::from_millis(20), a.ended(|| 0)).await;
        assert!(pending.is_err(), "a valid token's watch waits");
        // Revoked on another hub: the store's list says so.
        let mut revoked = token("a", "sa", "*", None);
        revoked.revoked_at = Some(1);
        let waiter = tokio::spawn(async move { a.ended(|| 1).await });
        book.replace(vec![revoked, token("b", "sb", "*", Some(100))], 1);
        waiter.await.expect("ended");
        // Expired: the next refresh past its time tells its streams.
        let mut b = book.watch("b".into());
        let waiter = tokio::spawn(async move { b.ended(|| 100).await });
        book.replace(vec![token("b", "sb", "*", Some(100))], 100);
        waiter.await.expect("ended");
        // Issued and revoked here.
        book.insert(token("c", "sc", "*", None), 0);
        let mut c = book.watch("c".into());
        let waiter = tokio::spawn(async move { c.ended(|| 2).await });
        book.revoke("c", 2);
        waiter.await.expect("ended");
    }
}
