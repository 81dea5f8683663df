//! Validated tokens, kept as keystonemiddleware keeps them: keyed by the token's sha256 (the
//! token itself is never stored), trusted for `token_cache_time` and never past the token's
//! own expiry; only successful validations go in. Bounded: past [`TokenCache::CAPACITY`]
//! entries the expired ones go, then the one closest to leaving.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::validated_token::ValidatedToken;

/// sha256 of a token.
pub type TokenKey = [u8; 32];

/// The key of `token`.
pub fn key(token: &str) -> TokenKey {
    Sha256::digest(token.as_bytes()).into()
}

#[derive(Debug)]
struct Entry {
    token: ValidatedToken,
    until: DateTime<Utc>,
}

/// Validated tokens of one API process (shared by its HTTP workers).
#[derive(Debug)]
pub struct TokenCache {
    lifetime: Option<chrono::TimeDelta>,
    entries: HashMap<TokenKey, Entry>,
}

impl TokenCache {
    /// Entries kept at most.
    pub const CAPACITY: usize = 10_000;

    /// A cache trusting entries for `lifetime`; `None` keeps nothing.
    pub fn new(lifetime: Option<Duration>) -> Self {
        Self {
            lifetime: lifetime.and_then(|d| chrono::TimeDelta::from_std(d).ok()),
            entries: HashMap::new(),
        }
    }

    /// The token of `key` if it was validated within the cache time and has not expired.
    pub fn get(&mut self, key: &TokenKey, now: DateTime<Utc>) -> Option<ValidatedToken> {
        match self.entries.get(key) {
            Some(entry) if entry.until > now && entry.token.expires_at > now => {
                Some(entry.token.clone())
            }
            Some(_) => {
                self.entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `token`, validated at `now`.
    pub fn insert(&mut self, key: TokenKey, token: ValidatedToken, now: DateTime<Utc>) {
        let Some(lifetime) = self.lifetime else {
            return;
        };
        if self.entries.len() >= Self::CAPACITY && !self.entries.contains_key(&key) {
            self.entries
                .retain(|_, e| e.until > now && e.token.expires_at > now);
            if self.entries.len() >= Self::CAPACITY {
                if let Some(first) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.until)
                    .map(|(k, _)| *k)
                {
                    self.entries.remove(&first);
                }
            }
        }
        let until = (now + lifetime).min(token.expires_at);
        self.entries.insert(key, Entry { token, until });
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_in: i64, now: DateTime<Utc>) -> ValidatedToken {
        ValidatedToken {
            user_id: "u".into(),
            user_name: "u".into(),
            project_id: Some("p".into()),
            project_name: Some("p".into()),
            roles: vec!["member".into()],
            system_scope: false,
            expires_at: now + chrono::TimeDelta::seconds(expires_in),
        }
    }

    #[test]
    fn an_entry_lives_for_the_cache_time_but_never_past_the_token() {
        let now = Utc::now();
        let mut cache = TokenCache::new(Some(Duration::from_secs(300)));
        cache.insert(key("long"), token(3600, now), now);
        cache.insert(key("short"), token(10, now), now);
        let later = |secs| now + chrono::TimeDelta::seconds(secs);
        assert!(cache.get(&key("long"), later(299)).is_some());
        assert!(cache.get(&key("long"), later(301)).is_none());
        assert!(cache.get(&key("short"), later(9)).is_some());
        assert!(cache.get(&key("short"), later(11)).is_none());
        assert!(cache.get(&key("never"), now).is_none());
        assert!(cache.is_empty(), "expired entries are dropped when met");
    }

    #[test]
    fn minus_one_caches_nothing_and_the_cache_is_bounded() {
        let now = Utc::now();
        let mut off = TokenCache::new(None);
        off.insert(key("t"), token(3600, now), now);
        assert!(off.get(&key("t"), now).is_none());
        let mut cache = TokenCache::new(Some(Duration::from_secs(300)));
        for i in 0..TokenCache::CAPACITY + 5 {
            cache.insert(key(&i.to_string()), token(3600, now), now);
        }
        assert_eq!(cache.len(), TokenCache::CAPACITY);
    }
}
