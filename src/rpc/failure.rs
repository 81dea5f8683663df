//! A failure as oslo serializes it into a reply (oslo: `_drivers/common.py`
//! `serialize_remote_exception` / `deserialize_remote_exception`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Module oslo's dispatcher errors come from.
pub const DISPATCHER_MODULE: &str = "oslo_messaging.rpc.dispatcher";
/// Python's module for built-in exceptions (`ValueError`, `TypeError`, …).
pub const BUILTINS_MODULE: &str = "builtins";

/// The decoded `failure` member of a reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteFailure {
    /// Exception class name, e.g. `NoSuchMethod`, `InstanceNotFound`.
    pub class: String,
    /// Python module of the class, e.g. `nova.exception`.
    pub module: String,
    /// `str(exc)`.
    pub message: String,
    /// Traceback lines; novactor sends one line naming where the failure was raised.
    #[serde(default)]
    pub tb: Vec<String>,
    /// `exc.args`.
    #[serde(default)]
    pub args: Vec<Value>,
    /// `exc.kwargs`.
    #[serde(default)]
    pub kwargs: Map<String, Value>,
    /// Marked expected by the handler that raised it (oslo `ExpectedException`); never on
    /// the wire, so a decoded failure is never marked.
    #[serde(skip)]
    expected: bool,
}

impl RemoteFailure {
    /// A failure of `module.class` with `message`, with `args = [message]` as Python would
    /// have for `Class(message)`.
    pub fn new(module: &str, class: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            class: class.to_owned(),
            module: module.to_owned(),
            args: vec![Value::String(message.clone())],
            tb: vec![format!("{module}.{class}: {message}\n")],
            message,
            kwargs: Map::new(),
            expected: false,
        }
    }

    /// This failure, marked expected (oslo: raising `ExpectedException` from the original):
    /// the caller still gets it as today, but the server logs it at debug and counts it
    /// apart from errors. Nova's conductor marks every failure of an object method so.
    pub fn mark_expected(mut self) -> Self {
        self.expected = true;
        self
    }

    /// True when [`RemoteFailure::mark_expected`] marked it.
    pub fn is_expected(&self) -> bool {
        self.expected
    }

    /// oslo `NoSuchMethod`: no compatible endpoint has the method, or its name starts with `_`.
    pub fn no_such_method(method: &str) -> Self {
        Self::new(
            DISPATCHER_MODULE,
            "NoSuchMethod",
            format!("Endpoint does not support RPC method {method}"),
        )
    }

    /// oslo `UnsupportedVersion` (also used on a namespace mismatch, as oslo does).
    pub fn unsupported_version(version: &str, method: &str) -> Self {
        Self::new(
            DISPATCHER_MODULE,
            "UnsupportedVersion",
            format!("Endpoint does not support RPC version {version}. Attempted method: {method}"),
        )
    }

    /// A Python `TypeError`, what oslo replies for missing or unexpected kwargs.
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new(BUILTINS_MODULE, "TypeError", message)
    }

    /// A Python `ValueError`, for arguments of the right name but a bad value.
    pub fn value_error(message: impl Into<String>) -> Self {
        Self::new(BUILTINS_MODULE, "ValueError", message)
    }

    /// A Python `RuntimeError`: what a Python caller sees when a Rust handler panicked or
    /// its actor went away mid-call.
    pub fn runtime_error(message: impl Into<String>) -> Self {
        Self::new(BUILTINS_MODULE, "RuntimeError", message)
    }

    /// Encode as the JSON string that goes into a reply's `failure` member.
    pub fn to_wire(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            // Serializing plain strings and JSON values cannot fail; keep a valid fallback anyway.
            format!(
                "{{\"class\": \"RuntimeError\", \"module\": \"builtins\", \"message\": {:?}}}",
                self.message
            )
        })
    }

    /// Decode a reply's `failure` string. oslo strips a trailing `_Remote` from class and
    /// module when re-serializing, so do we.
    pub fn from_wire(text: &str) -> Result<Self, serde_json::Error> {
        let mut failure: Self = serde_json::from_str(text)?;
        if let Some(class) = failure.class.strip_suffix("_Remote") {
            failure.class = class.to_owned();
        }
        if let Some(module) = failure.module.strip_suffix("_Remote") {
            failure.module = module.to_owned();
        }
        Ok(failure)
    }
}

impl std::fmt::Display for RemoteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}: {}", self.module, self.class, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_oslo_failure_decodes() {
        // A real oslo server's NoSuchMethod reply, its failure member (tb shortened).
        let wire = r#"{"class": "NoSuchMethod", "module": "oslo_messaging.rpc.dispatcher", "message": "Endpoint does not support RPC method nosuch", "tb": ["Traceback (most recent call last):\n"], "args": ["Endpoint does not support RPC method nosuch"], "kwargs": {}}"#;
        let failure = RemoteFailure::from_wire(wire).expect("decodes");
        assert_eq!(failure, {
            let mut expected = RemoteFailure::no_such_method("nosuch");
            expected.tb = vec!["Traceback (most recent call last):\n".into()];
            expected
        });
    }

    #[test]
    fn remote_suffix_is_stripped_and_optional_members_default() {
        let failure = RemoteFailure::from_wire(
            r#"{"class": "InstanceNotFound_Remote", "module": "nova.exception_Remote", "message": "gone"}"#,
        )
        .expect("decodes");
        assert_eq!(failure.class, "InstanceNotFound");
        assert_eq!(failure.module, "nova.exception");
        assert!(failure.tb.is_empty() && failure.args.is_empty());
    }

    #[test]
    fn the_expected_mark_stays_off_the_wire() {
        let marked = RemoteFailure::value_error("gone").mark_expected();
        assert!(marked.is_expected());
        let wire = marked.to_wire();
        assert!(!wire.contains("expected"), "{wire}");
        let decoded = RemoteFailure::from_wire(&wire).unwrap();
        assert!(!decoded.is_expected());
        assert_eq!(decoded, RemoteFailure::value_error("gone"));
    }

    #[test]
    fn encode_decode_round_trips() {
        let failure = RemoteFailure::unsupported_version("2.0", "ping");
        assert_eq!(
            RemoteFailure::from_wire(&failure.to_wire()).unwrap(),
            failure
        );
        assert_eq!(
            failure.message,
            "Endpoint does not support RPC version 2.0. Attempted method: ping"
        );
    }
}
