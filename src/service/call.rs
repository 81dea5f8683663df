//! [`Call`]: one RPC invocation as a handler sees it, with typed access to its keyword
//! arguments.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::rpc::{RemoteFailure, RequestContext};

/// One RPC invocation as a handler sees it.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method name.
    pub method: String,
    /// The caller's context.
    pub context: RequestContext,
    /// Keyword arguments.
    pub args: Map<String, Value>,
}

impl Call {
    /// A required keyword argument; missing or of the wrong type is the `TypeError` /
    /// `ValueError` a Python endpoint would raise.
    pub fn arg<T: DeserializeOwned>(&self, name: &str) -> Result<T, RemoteFailure> {
        let value = self.args.get(name).ok_or_else(|| {
            RemoteFailure::type_error(format!(
                "{}() missing 1 required positional argument: '{name}'",
                self.method
            ))
        })?;
        serde_json::from_value(value.clone()).map_err(|e| {
            RemoteFailure::value_error(format!(
                "{}(): bad value for argument '{name}': {e}",
                self.method
            ))
        })
    }

    /// An optional keyword argument (absent or null ⇒ `None`).
    pub fn opt_arg<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, RemoteFailure> {
        match self.args.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.arg(name).map(Some),
        }
    }
}
