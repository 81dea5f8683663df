//! The request context that travels with every message as `_context_<key>` entries.
//!
//! oslo flattens the caller's context dict into the payload; Nova puts
//! `RequestContext.to_dict()` there. The runtime keeps it as an open map and only
//! interprets `request_id`, which tracing spans carry.

use serde_json::{Map, Value};

/// Prefix oslo puts before each context key in a request payload.
pub const CONTEXT_KEY_PREFIX: &str = "_context_";

/// The caller's context (oslo: the `ctxt` dict of a request).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestContext {
    values: Map<String, Value>,
}

impl RequestContext {
    /// A context with a fresh `request_id` (`req-<uuid>`), as Nova makes for each request.
    pub fn new() -> Self {
        let mut values = Map::new();
        values.insert(
            "request_id".into(),
            Value::String(format!("req-{}", random_uuid())),
        );
        Self { values }
    }

    /// A context holding exactly `values`.
    pub fn from_map(values: Map<String, Value>) -> Self {
        Self { values }
    }

    /// The context's entries.
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }

    /// Set one entry; returns `self` for chaining.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.values.insert(key.to_owned(), value.into());
        self
    }

    /// The `request_id` entry, if the caller sent one as a string.
    pub fn request_id(&self) -> Option<&str> {
        self.values.get("request_id").and_then(Value::as_str)
    }
}

/// A random (version 4) UUID from the thread's CSPRNG, not a `getrandom` system call per id
/// as uuid's `new_v4` makes: every call takes three (its `_msg_id`, its `_unique_id` and its
/// reply's).
pub(crate) fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_uuids_are_version_4_and_differ() {
        let (a, b) = (random_uuid(), random_uuid());
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a, b);
        let id = RequestContext::new();
        assert!(id
            .request_id()
            .is_some_and(|r| r.len() == 40 && r.starts_with("req-")));
    }
}
