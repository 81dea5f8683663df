//! `nova-conductor`'s RPC API (Nova: `nova/conductor/rpcapi.py` ConductorAPI, and
//! `nova/conductor/api.py` `wait_until_ready`): the target, the argument struct of each
//! object method (encoded by [`ConductorApi`], decoded by the conductor's handlers) and the
//! proxy the compute and the api use. The `compute_task` namespace is `compute_task.rs`'s.
//!
//! Version history kept by novactor (Nova's numbering):
//! - baseapi 1.0 `ping`, 1.1 `get_backdoor_port`.
//! - 3.0 (null namespace): `object_action`, `object_class_action_versions` — the object
//!   indirection a compute without database access uses for every read and write.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::baseapi::BaseApi;
use super::rpc_args::{self, RpcArgs, Unread};
use crate::exception::NovaException;
use crate::objects::versions::manifest;
use crate::objects::{NovaObject, ObjectError};
use novactor::rpc::{CallError, FailureClass, RemoteFailure, RequestContext, RpcClient, Target};

/// Nova `ConductorAPI` target version for the object methods.
pub const OBJECT_API_VERSION: &str = "3.0";

/// `object_class_action_versions(objname, objmethod, object_versions, args, kwargs)` (3.0,
/// call): run a classmethod of `objname` on the conductor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectClassActionVersions {
    /// The object class, e.g. `InstanceList`.
    pub objname: String,
    /// The classmethod, e.g. `get_by_host`.
    pub objmethod: String,
    /// The caller's object versions (oslo's manifest); novactor answers in its own.
    pub object_versions: Unread,
    /// Positional arguments.
    pub args: Option<Vec<Value>>,
    /// Keyword arguments.
    pub kwargs: Option<Map<String, Value>>,
}

impl RpcArgs for ObjectClassActionVersions {
    const METHOD: &'static str = "object_class_action_versions";
}

/// `object_action(objinst, objmethod, args, kwargs)` (3.0, call) → `[updates, result]`:
/// run a method of an object on the conductor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectAction {
    /// The object's primitive.
    pub objinst: Value,
    /// The method, e.g. `save`.
    pub objmethod: String,
    /// Positional arguments (no served method takes any).
    pub args: Unread,
    /// Keyword arguments, e.g. `expected_task_state`.
    pub kwargs: Option<Map<String, Value>>,
}

impl RpcArgs for ObjectAction {
    const METHOD: &'static str = "object_action";
}

/// Why an indirection call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IndirectionError {
    /// The conductor answered with a failure, e.g. `nova.exception.InstanceNotFound`.
    #[error("{0}")]
    Remote(RemoteFailure),
    /// No answer, or the request could not be sent.
    #[error("{0}")]
    Call(CallError),
    /// The answer was not what the method returns.
    #[error("conductor answered {method} with {problem}")]
    BadReply {
        /// `object_action` or `object_class_action_versions`.
        method: &'static str,
        /// What was wrong.
        problem: String,
    },
}

impl From<CallError> for IndirectionError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Remote(failure) => Self::Remote(failure),
            other => Self::Call(other),
        }
    }
}

impl IndirectionError {
    /// The remote failure, if the conductor sent one.
    pub fn remote(&self) -> Option<&RemoteFailure> {
        match self {
            Self::Remote(failure) => Some(failure),
            _ => None,
        }
    }

    /// The `nova.exception` class the conductor answered with, if any.
    pub fn nova_exception(&self) -> Option<NovaException> {
        self.remote().and_then(NovaException::of)
    }
}

/// Nova `ConductorAPI` on topic `conductor`.
#[derive(Debug, Clone)]
pub struct ConductorApi {
    client: RpcClient,
}

impl ConductorApi {
    /// The target every `ConductorApi` sends to: topic `conductor`.
    pub fn target() -> Target {
        Target::topic("conductor")
    }

    /// Wrap a client made for [`Self::target`].
    pub fn new(client: RpcClient) -> Self {
        Self { client }
    }

    /// `baseapi.ping` on any conductor host.
    pub async fn ping(&self, ctx: &RequestContext, arg: Value) -> Result<Value, CallError> {
        BaseApi::new(&self.client).ping(ctx, arg, None).await
    }

    /// `baseapi.ping` with its own timeout (for [`wait_until_ready`]).
    pub async fn ping_with_timeout(
        &self,
        ctx: &RequestContext,
        arg: Value,
        timeout: Duration,
    ) -> Result<Value, CallError> {
        BaseApi::new(&self.client)
            .ping(ctx, arg, Some(timeout))
            .await
    }

    /// This proxy addressed to one host.
    pub fn with_server(&self, host: &str) -> Self {
        Self::new(self.client.with_server(host))
    }

    /// This proxy, counting conductor failures of `classes` as expected: its caller handles
    /// them, as Nova's callers catch them.
    pub fn expecting(&self, classes: &'static [FailureClass]) -> Self {
        Self::new(self.client.with_expected_failures(classes))
    }

    /// `object_class_action_versions` (3.0): run a classmethod of `objname` on the conductor.
    pub async fn object_class_action_versions(
        &self,
        ctx: &RequestContext,
        objname: &str,
        objmethod: &str,
        args: Vec<Value>,
        kwargs: Map<String, Value>,
    ) -> Result<Value, IndirectionError> {
        let call = ObjectClassActionVersions {
            objname: objname.to_owned(),
            objmethod: objmethod.to_owned(),
            object_versions: Some(manifest()),
            args: Some(args),
            kwargs: Some(kwargs),
        };
        let client = self.client.with_version(OBJECT_API_VERSION);
        Ok(rpc_args::call(&client, ctx, &call).await?)
    }

    /// `object_action` (3.0): run method `objmethod` of `object` on the conductor, and apply
    /// the returned updates to it (clearing its changes), as oslo.versionedobjects does.
    pub async fn object_action(
        &self,
        ctx: &RequestContext,
        object: &mut NovaObject,
        objmethod: &str,
        args: Vec<Value>,
        kwargs: Map<String, Value>,
    ) -> Result<Value, IndirectionError> {
        let call = ObjectAction {
            objinst: object.to_primitive(),
            objmethod: objmethod.to_owned(),
            args: Some(Value::from(args)),
            kwargs: Some(kwargs),
        };
        let client = self.client.with_version(OBJECT_API_VERSION);
        let reply = rpc_args::call(&client, ctx, &call).await?;
        let bad = |problem: String| IndirectionError::BadReply {
            method: ObjectAction::METHOD,
            problem,
        };
        let Value::Array(mut pair) = reply else {
            return Err(bad("something other than [updates, result]".into()));
        };
        if pair.len() != 2 {
            return Err(bad(format!(
                "a list of {} items instead of [updates, result]",
                pair.len()
            )));
        }
        let result = pair.pop().unwrap_or(Value::Null);
        let Some(Value::Object(updates)) = pair.pop() else {
            return Err(bad("updates that are not an object".into()));
        };
        for (field, value) in updates {
            if field != "obj_what_changed" {
                object.data.insert(field, value);
            }
        }
        object.changes.clear();
        Ok(result)
    }
}

/// Read an object primitive from a reply.
pub fn object_from(value: &Value) -> Result<NovaObject, ObjectError> {
    NovaObject::from_primitive(value)
}

/// Nova `conductor.API.wait_until_ready`: ping the conductor with a 10 s timeout ten times,
/// then with the default timeout, forever; warn once while it does not answer.
pub async fn wait_until_ready(api: &ConductorApi, ctx: &RequestContext, default_timeout: Duration) {
    const EARLY_ATTEMPTS: u32 = 10;
    const EARLY_TIMEOUT: Duration = Duration::from_secs(10);
    let mut attempt = 0u32;
    let mut warned = false;
    loop {
        attempt += 1;
        let timeout = if attempt <= EARLY_ATTEMPTS {
            EARLY_TIMEOUT
        } else {
            default_timeout
        };
        match api
            .ping_with_timeout(ctx, json!("1.21 GigaWatts"), timeout)
            .await
        {
            Ok(_) => {
                if warned {
                    tracing::info!("nova-conductor connection established successfully");
                }
                return;
            }
            Err(error) => {
                if !warned {
                    tracing::warn!(%error, "Timed out waiting for nova-conductor. Is it running? Or did this service start before nova-conductor? Reattempting establishment of nova-conductor connection...");
                    warned = true;
                }
                if !error.is_timeout() {
                    // Not a timeout (e.g. broker down): don't spin.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_object_methods_are_sent_as_novas_proxy_sends_them() {
        let class_action = ObjectClassActionVersions {
            objname: "InstanceList".into(),
            objmethod: "get_by_host".into(),
            object_versions: Some(manifest()),
            args: Some(vec![json!("h1")]),
            kwargs: Some(Map::new()),
        };
        assert_eq!(
            serde_json::to_string(&class_action.to_kwargs().unwrap()).unwrap(),
            serde_json::to_string(
                &json!({"objname": "InstanceList", "objmethod": "get_by_host",
                "object_versions": manifest(), "args": ["h1"], "kwargs": {}})
            )
            .unwrap()
        );
        let action = ObjectAction {
            objinst: json!({"o": 1}),
            objmethod: "save".into(),
            args: Some(Value::from(Vec::<Value>::new())),
            kwargs: Some(Map::new()),
        };
        assert_eq!(
            serde_json::to_string(&action.to_kwargs().unwrap()).unwrap(),
            r#"{"objinst":{"o":1},"objmethod":"save","args":[],"kwargs":{}}"#
        );
    }
}
