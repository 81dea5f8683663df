//! Client side of `nova-conductor` (Nova: `nova/conductor/rpcapi.py` ConductorAPI), used by
//! the other actors.
//!
//! Version history kept by novactor (Nova's numbering):
//! - baseapi 1.0 `ping`, 1.1 `get_backdoor_port`.
//! - 3.0 (null namespace): `object_action`, `object_class_action_versions` — the object
//!   indirection a compute without database access uses for every read and write.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::baserpc::BaseApi;
use crate::objects::{NovaObject, ObjectError};
use novactor::rpc::{CallError, FailureClass, RemoteFailure, RequestContext, RpcClient, Target};

/// Nova `ConductorAPI` target version for the object methods.
pub const OBJECT_API_VERSION: &str = "3.0";

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
        let object_versions = manifest();
        let result = self
            .client
            .with_version(OBJECT_API_VERSION)
            .call(
                ctx,
                "object_class_action_versions",
                json!({"objname": objname, "objmethod": objmethod, "object_versions": object_versions, "args": args, "kwargs": kwargs}),
            )
            .await?;
        Ok(result)
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
        let reply = self
            .client
            .with_version(OBJECT_API_VERSION)
            .call(
                ctx,
                "object_action",
                json!({"objinst": object.to_primitive(), "objmethod": objmethod, "args": args, "kwargs": kwargs}),
            )
            .await?;
        let bad = |problem: String| IndirectionError::BadReply {
            method: "object_action",
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

/// The object versions this caller knows (oslo's manifest sent with class actions).
fn manifest() -> Value {
    use crate::objects::versions;
    json!({
        "Instance": versions::INSTANCE,
        "InstanceList": versions::INSTANCE_LIST,
        "Service": versions::SERVICE,
        "ComputeNode": versions::COMPUTE_NODE,
    })
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

/// Nova `ComputeTaskAPI` (`nova/conductor/rpcapi.py`): the conductor's `compute_task`
/// namespace, which runs the multi-service flows.
///
/// Version history kept by novactor: 1.17 `schedule_and_build_instances` (with `tags`),
/// 1.19 `build_instances` (with `host_lists`).
#[derive(Debug, Clone)]
pub struct ComputeTaskApi {
    client: RpcClient,
}

/// Nova `ComputeTaskManager.target`: namespace `compute_task`.
pub const COMPUTE_TASK_NAMESPACE: &str = "compute_task";

impl ComputeTaskApi {
    /// Wrap a client made for [`ConductorApi::target`].
    pub fn new(client: RpcClient) -> Self {
        Self {
            client: client.with_namespace(COMPUTE_TASK_NAMESPACE),
        }
    }

    /// `schedule_and_build_instances` (1.17), a cast: place and build the instances of
    /// `build_requests` (BuildRequest primitives, each wrapping its `instance`), one
    /// `RequestSpec` per instance.
    pub async fn schedule_and_build_instances(
        &self,
        ctx: &RequestContext,
        build_requests: Vec<Value>,
        request_specs: Vec<Value>,
        image: Value,
    ) -> Result<(), CallError> {
        self.client
            .with_version("1.17")
            .cast(
                ctx,
                "schedule_and_build_instances",
                json!({"build_requests": build_requests, "request_specs": request_specs, "image": image,
                       "admin_password": null, "injected_files": [], "requested_networks": null,
                       "block_device_mapping": [], "tags": null}),
            )
            .await
    }

    /// `build_instances` (1.19), a cast: the compute's reschedule after a failed spawn;
    /// `host_lists` holds the remaining alternates per instance.
    pub async fn build_instances(
        &self,
        ctx: &RequestContext,
        instances: Vec<Value>,
        request_spec: Value,
        filter_properties: Value,
        host_lists: Vec<Vec<Value>>,
    ) -> Result<(), CallError> {
        self.client
            .with_version("1.19")
            .cast(
                ctx,
                "build_instances",
                json!({"instances": instances, "image": {}, "filter_properties": filter_properties,
                       "admin_password": null, "injected_files": [], "requested_networks": null,
                       "security_groups": [], "request_spec": request_spec, "host_lists": host_lists}),
            )
            .await
    }
}
