//! The conductor's `compute_task` RPC API (Nova: `nova/conductor/rpcapi.py` ComputeTaskAPI),
//! which runs the multi-service flows: the namespace, the argument struct of each method
//! (encoded by [`ComputeTaskApi`], decoded by the conductor's handlers) and the proxy the
//! api and the compute use. Same topic as `conductor.rs`'s API.
//!
//! Version history kept by novactor: 1.17 `schedule_and_build_instances` (with `tags`),
//! 1.19 `build_instances` (with `host_lists`), 1.25 `rebuild_instance` (in
//! `compute_rebuild.rs`, with `target_state`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::rpc_args::{self, RpcArgs, Unread};
use crate::objects::injected_files::InjectedFile;
use novactor::rpc::{CallError, RequestContext, RpcClient};

/// Nova `ComputeTaskManager.target`: namespace `compute_task`.
pub const COMPUTE_TASK_NAMESPACE: &str = "compute_task";

/// `schedule_and_build_instances(build_requests, request_specs, image, admin_password,
/// injected_files, requested_networks, block_device_mapping, tags)` (1.17, cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleAndBuildInstances {
    /// `BuildRequest` primitives, each wrapping its `instance`.
    pub build_requests: Vec<Value>,
    /// One `RequestSpec` primitive per instance.
    pub request_specs: Vec<Value>,
    /// Image metadata.
    pub image: Unread,
    /// Unused by the fake driver.
    pub admin_password: Unread,
    /// Personality files, passed on to the compute's build (absent or null: none).
    pub injected_files: Option<Vec<InjectedFile>>,
    /// No networking in the slice.
    pub requested_networks: Unread,
    /// No volumes in the slice.
    pub block_device_mapping: Unread,
    /// No tags in the slice.
    pub tags: Unread,
}

impl RpcArgs for ScheduleAndBuildInstances {
    const METHOD: &'static str = "schedule_and_build_instances";
}

/// `build_instances(instances, image, filter_properties, admin_password, injected_files,
/// requested_networks, security_groups, request_spec, host_lists)` (1.19, cast): a
/// compute's reschedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildInstances {
    /// `Instance` primitives.
    pub instances: Vec<Value>,
    /// Image metadata.
    pub image: Unread,
    /// Legacy scheduler dict with `retry` (absent or null: `{}`).
    pub filter_properties: Option<Value>,
    /// Unused by the fake driver.
    pub admin_password: Unread,
    /// Personality files, passed on to the next build (absent or null: none).
    pub injected_files: Option<Vec<InjectedFile>>,
    /// No networking in the slice.
    pub requested_networks: Unread,
    /// No networking in the slice.
    pub security_groups: Unread,
    /// The `RequestSpec` primitive.
    pub request_spec: Option<Value>,
    /// The remaining alternates per instance (`Selection` primitives).
    pub host_lists: Option<Vec<Vec<Value>>>,
}

impl RpcArgs for BuildInstances {
    const METHOD: &'static str = "build_instances";
}

/// Nova `ComputeTaskAPI`, on the conductor's topic.
#[derive(Debug, Clone)]
pub struct ComputeTaskApi {
    client: RpcClient,
}

impl ComputeTaskApi {
    /// Wrap a client made for `ConductorApi::target`.
    pub fn new(client: RpcClient) -> Self {
        Self {
            client: client.with_namespace(COMPUTE_TASK_NAMESPACE),
        }
    }

    /// The client at `version` (`compute_rebuild.rs` sends with it).
    pub(super) fn versioned(&self, version: &str) -> RpcClient {
        self.client.with_version(version)
    }

    /// `schedule_and_build_instances` (1.17), a cast: place and build the instances of
    /// `build_requests` (BuildRequest primitives, each wrapping its `instance`), one
    /// `RequestSpec` per instance, each with the personality files `injected_files`.
    pub async fn schedule_and_build_instances(
        &self,
        ctx: &RequestContext,
        build_requests: Vec<Value>,
        request_specs: Vec<Value>,
        image: Value,
        injected_files: Vec<InjectedFile>,
    ) -> Result<(), CallError> {
        let args = ScheduleAndBuildInstances {
            build_requests,
            request_specs,
            image: Some(image),
            admin_password: None,
            injected_files: Some(injected_files),
            requested_networks: None,
            block_device_mapping: Some(json!([])),
            tags: None,
        };
        rpc_args::cast(&self.client.with_version("1.17"), ctx, &args).await
    }

    /// `build_instances` (1.19), a cast: the compute's reschedule after a failed spawn;
    /// `host_lists` holds the remaining alternates per instance, `injected_files` the
    /// personality files the build had.
    pub async fn build_instances(
        &self,
        ctx: &RequestContext,
        instances: Vec<Value>,
        request_spec: Value,
        filter_properties: Map<String, Value>,
        host_lists: Vec<Vec<Value>>,
        injected_files: Vec<InjectedFile>,
    ) -> Result<(), CallError> {
        let args = BuildInstances {
            instances,
            image: Some(json!({})),
            filter_properties: Some(Value::Object(filter_properties)),
            admin_password: None,
            injected_files: Some(injected_files),
            requested_networks: None,
            security_groups: Some(json!([])),
            request_spec: Some(request_spec),
            host_lists: Some(host_lists),
        };
        rpc_args::cast(&self.client.with_version("1.19"), ctx, &args).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(args: &impl RpcArgs) -> String {
        serde_json::to_string(&args.to_kwargs().unwrap()).unwrap()
    }

    #[test]
    fn the_flow_methods_are_sent_as_novas_proxy_sends_them() {
        let schedule = ScheduleAndBuildInstances {
            build_requests: vec![json!(1)],
            request_specs: vec![json!(2)],
            image: Some(json!({"id": "i"})),
            admin_password: None,
            injected_files: Some(vec![InjectedFile("/etc/motd".into(), "aGk=".into())]),
            requested_networks: None,
            block_device_mapping: Some(json!([])),
            tags: None,
        };
        assert_eq!(
            wire(&schedule),
            serde_json::to_string(&json!({"build_requests": [1], "request_specs": [2],
                "image": {"id": "i"}, "admin_password": null,
                "injected_files": [["/etc/motd", "aGk="]],
                "requested_networks": null, "block_device_mapping": [], "tags": null}))
            .unwrap()
        );
        let reschedule = BuildInstances {
            instances: vec![json!(1)],
            image: Some(json!({})),
            filter_properties: Some(json!({"retry": {}})),
            admin_password: None,
            injected_files: Some(Vec::new()),
            requested_networks: None,
            security_groups: Some(json!([])),
            request_spec: Some(Value::Null),
            host_lists: Some(vec![vec![json!(3)]]),
        };
        assert_eq!(
            wire(&reschedule),
            serde_json::to_string(&json!({"instances": [1], "image": {},
                "filter_properties": {"retry": {}}, "admin_password": null, "injected_files": [],
                "requested_networks": null, "security_groups": [], "request_spec": null,
                "host_lists": [[3]]}))
            .unwrap()
        );
    }

    #[test]
    fn malformed_injected_files_are_a_value_error_naming_the_argument() {
        for bad in [
            json!("x"),
            json!([["/a"]]),
            json!([["/a", 1]]),
            json!({"/a": "YQ=="}),
        ] {
            let call = novactor::service::Call {
                method: ScheduleAndBuildInstances::METHOD.into(),
                context: RequestContext::new(),
                args: json!({"build_requests": [], "request_specs": [], "injected_files": bad})
                    .as_object()
                    .cloned()
                    .unwrap(),
            };
            let failure = ScheduleAndBuildInstances::from_call(&call).unwrap_err();
            assert_eq!(failure.class, "ValueError", "{bad}");
            assert!(
                failure.message.contains("argument 'injected_files'"),
                "{bad}: {failure:?}"
            );
        }
    }
}
