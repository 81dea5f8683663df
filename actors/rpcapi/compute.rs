//! `nova-compute`'s RPC API (Nova: `nova/compute/rpcapi.py`): the target, the argument struct
//! of each method (encoded by [`ComputeApi`], decoded by the compute's handlers) and the
//! proxy the conductor and the api use.
//!
//! Version history kept by novactor (Nova's numbering; the client sends 6.0 as Nova's does
//! unpinned): baseapi 1.0–1.1; 6.0 `build_and_run_instance`, `terminate_instance`,
//! `stop_instance`, `start_instance`, `reboot_instance`, `get_host_uptime`, `get_diagnostics`,
//! `get_instance_diagnostics`; and in `compute_instance_ops.rs` `pause_instance`,
//! `unpause_instance`, `suspend_instance`, `resume_instance`, `rescue_instance`,
//! `unrescue_instance`, `set_admin_password`, `get_console_output`, `trigger_crash_dump` (all
//! 5.0 in Nova, sent at 6.0 unpinned).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::baseapi::BaseApi;
use super::rpc_args::{self, RpcArgs, Unread};
use crate::objects::injected_files::InjectedFile;
use crate::objects::NovaObject;
use novactor::rpc::{CallError, RemoteFailure, RequestContext, RpcClient, Target};

/// `build_and_run_instance(instance, image, request_spec, filter_properties, admin_password,
/// injected_files, requested_networks, security_groups, block_device_mapping, node, limits,
/// host_list, accel_uuids)` (6.0, cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildAndRunInstance {
    /// An `Instance` primitive ([`instance_from`]).
    pub instance: Value,
    /// Image metadata (novactor has no images to fetch).
    pub image: Unread,
    /// A `RequestSpec` primitive, handed back on a reschedule.
    pub request_spec: Option<Value>,
    /// Legacy scheduler dict; `retry` lives here.
    pub filter_properties: Option<Map<String, Value>>,
    /// Unused by the fake driver.
    pub admin_password: Unread,
    /// Personality files (`[path, base64]`), decoded and handed to the spawn.
    pub injected_files: Option<Vec<InjectedFile>>,
    /// No networking in the slice.
    pub requested_networks: Unread,
    /// No networking in the slice.
    pub security_groups: Unread,
    /// No volumes in the slice.
    pub block_device_mapping: Unread,
    /// The node the scheduler chose (a host has one node).
    pub node: Unread,
    /// `memory_mb`, `disk_gb`, `vcpu` limits the claim re-checks.
    pub limits: Option<Map<String, Value>>,
    /// The remaining alternates (`Selection` primitives).
    pub host_list: Option<Vec<Value>>,
    /// No accelerators in the slice.
    pub accel_uuids: Unread,
}

impl RpcArgs for BuildAndRunInstance {
    const METHOD: &'static str = "build_and_run_instance";
}

/// `terminate_instance(instance, bdms)` (6.0, cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerminateInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// No volumes in the slice.
    pub bdms: Unread,
}

impl RpcArgs for TerminateInstance {
    const METHOD: &'static str = "terminate_instance";
}

/// `stop_instance(instance, clean_shutdown)` (6.0, cast, or call with `do_cast=False`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The fake driver always stops cleanly.
    pub clean_shutdown: Unread,
}

impl RpcArgs for StopInstance {
    const METHOD: &'static str = "stop_instance";
}

/// `start_instance(instance)` (6.0, cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartInstance {
    /// An `Instance` primitive.
    pub instance: Value,
}

impl RpcArgs for StartInstance {
    const METHOD: &'static str = "start_instance";
}

/// `reboot_instance(instance, block_device_info, reboot_type)` (6.0, cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RebootInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// No volumes in the slice.
    pub block_device_info: Unread,
    /// `SOFT` or `HARD`.
    pub reboot_type: String,
}

impl RpcArgs for RebootInstance {
    const METHOD: &'static str = "reboot_instance";
}

/// `get_host_uptime()` (6.0, call) → the host's `uptime` line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetHostUptime {}

impl RpcArgs for GetHostUptime {
    const METHOD: &'static str = "get_host_uptime";
}

/// `get_diagnostics(instance)` (6.0, call) → the driver's legacy dict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetDiagnostics {
    /// An `Instance` primitive.
    pub instance: Value,
}

impl RpcArgs for GetDiagnostics {
    const METHOD: &'static str = "get_diagnostics";
}

/// `get_instance_diagnostics(instance)` (6.0, call) → a `Diagnostics` primitive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetInstanceDiagnostics {
    /// An `Instance` primitive.
    pub instance: Value,
}

impl RpcArgs for GetInstanceDiagnostics {
    const METHOD: &'static str = "get_instance_diagnostics";
}

/// An `instance` argument: an `Instance` primitive with a uuid. Its pending changes are
/// dropped: the caller saved before casting (Nova's API does), and the compute must write
/// only what it sets itself. Any problem is a `ValueError`.
pub fn instance_from(value: &Value) -> Result<NovaObject, RemoteFailure> {
    let mut instance = NovaObject::from_primitive(value)
        .map_err(|e| RemoteFailure::value_error(format!("instance: {e}")))?;
    if instance.name != "Instance" {
        return Err(RemoteFailure::value_error(format!(
            "instance: expected an Instance object, got {}",
            instance.name
        )));
    }
    if instance.get("uuid").as_str().is_none_or(str::is_empty) {
        return Err(RemoteFailure::value_error("instance: no uuid"));
    }
    instance.changes.clear();
    Ok(instance)
}

/// Nova's `RPC_TOPIC_ALT`: every compute's second RPC server.
pub const COMPUTE_ALT_TOPIC: &str = "compute-alt";

/// Nova `ComputeAPI` on topic `compute`.
#[derive(Debug, Clone)]
pub struct ComputeApi {
    client: RpcClient,
}

impl ComputeApi {
    /// The target every `ComputeApi` sends to: topic `compute`.
    pub fn target() -> Target {
        Target::topic("compute")
    }

    /// Wrap a client made for [`Self::target`].
    pub fn new(client: RpcClient) -> Self {
        Self { client }
    }

    /// `baseapi.ping` on a compute host (use `with_server`).
    pub async fn ping(&self, ctx: &RequestContext, arg: Value) -> Result<Value, CallError> {
        BaseApi::new(&self.client).ping(ctx, arg, None).await
    }

    /// This proxy addressed to one host.
    pub fn with_server(&self, host: &str) -> Self {
        Self::new(self.client.with_server(host))
    }

    /// The client for one host's compute at 6.0 (`compute_instance_ops.rs` sends with it).
    pub(super) fn at(&self, host: &str) -> RpcClient {
        self.client.with_server(host).with_version("6.0")
    }

    /// The client for one host's second RPC server, topic `compute-alt` (Nova 34
    /// `prepare_for_alt_rpcserver`): the moves' later steps go there, so a compute that is
    /// shutting down gracefully still finishes the moves it has begun.
    pub(super) fn at_alt(&self, host: &str) -> RpcClient {
        self.client
            .with_topic(COMPUTE_ALT_TOPIC)
            .with_server(host)
            .with_version("6.0")
    }

    /// `build_and_run_instance` (cast to `host`): `instance` is an Instance primitive,
    /// `limits` none when the scheduler gave none, `host_list` the remaining alternates
    /// (Selection primitives), `injected_files` the personality files (base64).
    #[allow(clippy::too_many_arguments)]
    pub async fn build_and_run_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        request_spec: Value,
        filter_properties: Map<String, Value>,
        node: &str,
        limits: Option<Map<String, Value>>,
        host_list: Vec<Value>,
        injected_files: Vec<InjectedFile>,
    ) -> Result<(), CallError> {
        let args = BuildAndRunInstance {
            instance,
            image: Some(json!({})),
            request_spec: Some(request_spec),
            filter_properties: Some(filter_properties),
            admin_password: None,
            injected_files: Some(injected_files),
            requested_networks: None,
            security_groups: Some(json!([])),
            block_device_mapping: Some(json!([])),
            node: Some(json!(node)),
            limits,
            host_list: Some(host_list),
            accel_uuids: Some(json!([])),
        };
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `terminate_instance` (cast to the instance's host).
    pub async fn terminate_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        let args = TerminateInstance {
            instance,
            bdms: Some(json!([])),
        };
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `stop_instance` (cast to the instance's host), a clean shutdown.
    pub async fn stop_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        let args = StopInstance {
            instance,
            clean_shutdown: Some(json!(true)),
        };
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `start_instance` (cast to the instance's host).
    pub async fn start_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &StartInstance { instance }).await
    }

    /// `reboot_instance` (cast to the instance's host); `reboot_type` is `SOFT` or `HARD`.
    pub async fn reboot_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        reboot_type: &str,
    ) -> Result<(), CallError> {
        let args = RebootInstance {
            instance,
            block_device_info: None,
            reboot_type: reboot_type.to_owned(),
        };
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `get_host_uptime` (call to `host`): the `uptime` line of that host.
    pub async fn get_host_uptime(
        &self,
        ctx: &RequestContext,
        host: &str,
    ) -> Result<Value, CallError> {
        rpc_args::call(&self.at(host), ctx, &GetHostUptime {}).await
    }

    /// `get_diagnostics` (call to the instance's host): the legacy dict.
    pub async fn get_diagnostics(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<Value, CallError> {
        rpc_args::call(&self.at(host), ctx, &GetDiagnostics { instance }).await
    }

    /// `get_instance_diagnostics` (call to the instance's host): a `Diagnostics` primitive.
    pub async fn get_instance_diagnostics(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<Value, CallError> {
        rpc_args::call(&self.at(host), ctx, &GetInstanceDiagnostics { instance }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_and_run_instance_is_sent_as_novas_proxy_sends_it() {
        let args = BuildAndRunInstance {
            instance: json!({"i": 1}),
            image: Some(json!({})),
            request_spec: Some(Value::Null),
            filter_properties: Some(Map::new()),
            admin_password: None,
            injected_files: Some(vec![InjectedFile("/a".into(), "YQ==".into())]),
            requested_networks: None,
            security_groups: Some(json!([])),
            block_device_mapping: Some(json!([])),
            node: Some(json!("n1")),
            limits: None,
            host_list: Some(Vec::new()),
            accel_uuids: Some(json!([])),
        };
        let wire = serde_json::to_string(&args.to_kwargs().unwrap()).unwrap();
        assert_eq!(
            wire,
            r#"{"instance":{"i":1},"image":{},"request_spec":null,"filter_properties":{},"admin_password":null,"injected_files":[["/a","YQ=="]],"requested_networks":null,"security_groups":[],"block_device_mapping":[],"node":"n1","limits":null,"host_list":[],"accel_uuids":[]}"#
        );
    }

    /// The wire text of `args`, and of `expected` as Nova's proxy (and novactor's before the
    /// argument structs) wrote it: the same keys in the same order.
    fn same_wire(args: &impl RpcArgs, expected: Value) {
        assert_eq!(
            serde_json::to_string(&args.to_kwargs().unwrap()).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
    }

    #[test]
    fn the_instance_methods_are_sent_as_novas_proxy_sends_them() {
        let instance = json!({"nova_object.name": "Instance"});
        same_wire(
            &TerminateInstance {
                instance: instance.clone(),
                bdms: Some(json!([])),
            },
            json!({"instance": instance, "bdms": []}),
        );
        same_wire(
            &StopInstance {
                instance: instance.clone(),
                clean_shutdown: Some(json!(true)),
            },
            json!({"instance": instance, "clean_shutdown": true}),
        );
        same_wire(
            &StartInstance {
                instance: instance.clone(),
            },
            json!({"instance": instance}),
        );
        same_wire(
            &RebootInstance {
                instance: instance.clone(),
                block_device_info: None,
                reboot_type: "HARD".into(),
            },
            json!({"instance": instance, "block_device_info": null, "reboot_type": "HARD"}),
        );
        same_wire(&GetHostUptime {}, json!({}));
        same_wire(
            &GetInstanceDiagnostics {
                instance: instance.clone(),
            },
            json!({ "instance": instance }),
        );
    }

    #[test]
    fn malformed_instances_are_value_errors() {
        for bad in [
            json!(null),
            json!({"nova_object.name": "Instance"}),
            json!({"nova_object.name": "Service", "nova_object.namespace": "nova",
                   "nova_object.version": "1.0", "nova_object.data": {"uuid": "u"}}),
            json!({"nova_object.name": "Instance", "nova_object.namespace": "nova",
                   "nova_object.version": "2.8", "nova_object.data": {}}),
        ] {
            let failure = instance_from(&bad).unwrap_err();
            assert_eq!(failure.class, "ValueError", "{bad}");
        }
        let ok = instance_from(
            &json!({"nova_object.name": "Instance", "nova_object.namespace": "nova",
            "nova_object.version": "2.8", "nova_object.data": {"uuid": "u"},
            "nova_object.changes": ["uuid"]}),
        )
        .unwrap();
        assert!(
            ok.changes.is_empty(),
            "the caller's changes are not ours to write"
        );
    }
}
