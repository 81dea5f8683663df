//! Rebuild on the wire (Nova: `nova/compute/rpcapi.py` `rebuild_instance` 6.2 and
//! `nova/conductor/rpcapi.py` ComputeTaskAPI `rebuild_instance` 1.25): the argument struct
//! of each, in the order Nova's proxies write the keyword arguments, and the proxy methods
//! the api (to the conductor) and the conductor (to the compute) send them with. An
//! evacuation is the same methods with `recreate` true ([`Evacuation`], [`EvacuateRequest`]).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::compute::ComputeApi;
use super::compute_task::ComputeTaskApi;
use super::rpc_args::{self, RpcArgs, Unread};
use crate::objects::injected_files::InjectedFile;
use novactor::rpc::{CallError, RequestContext};

/// What a rebuild asks for, shared by the conductor's and the compute's method.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuildRequest {
    /// The `Instance` primitive (image, name, metadata already saved by the api).
    pub instance: Value,
    /// The guest's new admin password.
    pub new_pass: Option<String>,
    /// The rebuild's personality files (base64): the rebuilt guest gets these, and only
    /// these.
    pub injected_files: Vec<InjectedFile>,
    /// The image to rebuild from.
    pub image_ref: String,
    /// The image the instance had before.
    pub orig_image_ref: String,
    /// Nova's `preserve_ephemeral` (the fake driver has no ephemeral disk to keep).
    pub preserve_ephemeral: bool,
}

/// Conductor `rebuild_instance(instance, new_pass, injected_files, image_ref,
/// orig_image_ref, orig_sys_metadata, bdms, recreate, on_shared_storage,
/// preserve_ephemeral, host, request_spec, reimage_boot_volume, target_state)` (1.25, cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RebuildInstanceTask {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The new admin password.
    pub new_pass: Option<String>,
    /// Personality files (`[path, base64]`; an evacuation sends none).
    pub injected_files: Option<Vec<InjectedFile>>,
    /// The image to rebuild from.
    pub image_ref: Option<String>,
    /// The image before the rebuild.
    pub orig_image_ref: Option<String>,
    /// The system metadata before the rebuild.
    pub orig_sys_metadata: Unread,
    /// No volumes in novactor.
    pub bdms: Unread,
    /// True for an evacuation.
    pub recreate: Option<bool>,
    /// Evacuation only.
    pub on_shared_storage: Unread,
    /// Keep the ephemeral disk.
    pub preserve_ephemeral: Option<bool>,
    /// The destination an evacuation names (null: the scheduler picks, or a rebuild in
    /// place).
    pub host: Option<String>,
    /// The `RequestSpec` primitive (an evacuation's: what the conductor schedules with).
    pub request_spec: Option<Value>,
    /// Volume-backed rebuild (no volumes in novactor).
    pub reimage_boot_volume: Unread,
    /// Evacuation's target state (2.95).
    pub target_state: Option<String>,
}

impl RpcArgs for RebuildInstanceTask {
    const METHOD: &'static str = "rebuild_instance";
}

/// Compute `rebuild_instance(instance, new_pass, injected_files, image_ref,
/// orig_image_ref, orig_sys_metadata, bdms, recreate, on_shared_storage,
/// preserve_ephemeral, migration, scheduled_node, limits, request_spec, accel_uuids,
/// reimage_boot_volume, target_state)` (6.2, cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RebuildInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The new admin password.
    pub new_pass: Option<String>,
    /// Personality files (`[path, base64]`), decoded and handed to the spawn.
    pub injected_files: Option<Vec<InjectedFile>>,
    /// The image to rebuild from.
    pub image_ref: Option<String>,
    /// The image before the rebuild.
    pub orig_image_ref: Option<String>,
    /// The system metadata before the rebuild.
    pub orig_sys_metadata: Unread,
    /// No volumes in novactor.
    pub bdms: Unread,
    /// True for an evacuation.
    pub recreate: Option<bool>,
    /// Evacuation only.
    pub on_shared_storage: Unread,
    /// Keep the ephemeral disk.
    pub preserve_ephemeral: Option<bool>,
    /// Evacuation's migration (a `Migration` primitive).
    pub migration: Option<Value>,
    /// The node an evacuation was scheduled to.
    pub scheduled_node: Option<String>,
    /// Scheduler limits (`memory_mb`, `disk_gb`, `vcpu`).
    pub limits: Option<Value>,
    /// The `RequestSpec` primitive.
    pub request_spec: Unread,
    /// No accelerators in novactor.
    pub accel_uuids: Unread,
    /// Volume-backed rebuild (no volumes in novactor).
    pub reimage_boot_volume: Unread,
    /// Evacuation's target state (2.95).
    pub target_state: Option<String>,
}

impl RpcArgs for RebuildInstance {
    const METHOD: &'static str = "rebuild_instance";
}

/// What an evacuation adds to a compute's `rebuild_instance` (Nova sends these with
/// `recreate=True`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evacuation {
    /// The `Migration` primitive the api created (status `accepted`).
    pub migration: Option<Value>,
    /// The node the scheduler chose (none when the host was forced).
    pub scheduled_node: Option<String>,
    /// The scheduler's limits for the destination's claim.
    pub limits: Option<Value>,
    /// 2.95: `stopped`.
    pub target_state: Option<String>,
    /// Before 2.14: the caller's `onSharedStorage`; later null (the driver decides).
    pub on_shared_storage: Option<bool>,
}

/// What the api asks the conductor for an evacuation (Nova `API.evacuate`'s
/// `rebuild_instance(recreate=True, …)`).
#[derive(Debug, Clone, PartialEq)]
pub struct EvacuateRequest {
    /// The `Instance` primitive (task state `rebuilding` already saved).
    pub instance: Value,
    /// The guest's admin password (none on shared storage before 2.14).
    pub new_pass: Option<String>,
    /// Before 2.14: `onSharedStorage`.
    pub on_shared_storage: Option<bool>,
    /// A forced destination (the scheduler is bypassed), else none.
    pub host: Option<String>,
    /// The instance's `RequestSpec` primitive (with `requested_destination` for a named,
    /// unforced host).
    pub request_spec: Option<Value>,
    /// 2.95: `stopped`.
    pub target_state: Option<String>,
}

impl ComputeTaskApi {
    /// Conductor `rebuild_instance` (1.25) with `recreate=True`, a cast: an evacuation
    /// (Nova sends no image, the instance keeps its own).
    pub async fn evacuate_instance(
        &self,
        ctx: &RequestContext,
        request: EvacuateRequest,
    ) -> Result<(), CallError> {
        let args = RebuildInstanceTask {
            instance: request.instance,
            new_pass: request.new_pass,
            injected_files: None,
            image_ref: None,
            orig_image_ref: None,
            orig_sys_metadata: None,
            bdms: None,
            recreate: Some(true),
            on_shared_storage: request.on_shared_storage.map(Value::Bool),
            preserve_ephemeral: Some(false),
            host: request.host,
            request_spec: request.request_spec,
            reimage_boot_volume: Some(json!(false)),
            target_state: request.target_state,
        };
        rpc_args::cast(&self.versioned("1.25"), ctx, &args).await
    }

    /// Conductor `rebuild_instance` (1.25), a cast: a rebuild in place (`recreate` false,
    /// no host).
    pub async fn rebuild_instance(
        &self,
        ctx: &RequestContext,
        request: RebuildRequest,
    ) -> Result<(), CallError> {
        let args = RebuildInstanceTask {
            instance: request.instance,
            new_pass: request.new_pass,
            injected_files: Some(request.injected_files),
            image_ref: Some(request.image_ref),
            orig_image_ref: Some(request.orig_image_ref),
            orig_sys_metadata: Some(json!({})),
            bdms: None,
            recreate: Some(false),
            on_shared_storage: Some(json!(false)),
            preserve_ephemeral: Some(request.preserve_ephemeral),
            host: None,
            request_spec: None,
            reimage_boot_volume: Some(json!(false)),
            target_state: None,
        };
        rpc_args::cast(&self.versioned("1.25"), ctx, &args).await
    }
}

impl ComputeApi {
    /// Compute `rebuild_instance` (6.2), a cast to `host`: in place (`evacuation` none) or
    /// an evacuation to `host` (`recreate` true with its migration, node and limits).
    pub async fn rebuild_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        request: RebuildRequest,
        evacuation: Option<Evacuation>,
    ) -> Result<(), CallError> {
        let recreate = evacuation.is_some();
        let evacuation = evacuation.unwrap_or_default();
        let args = RebuildInstance {
            instance: request.instance,
            new_pass: request.new_pass,
            injected_files: Some(request.injected_files),
            image_ref: Some(request.image_ref),
            orig_image_ref: Some(request.orig_image_ref),
            orig_sys_metadata: Some(json!({})),
            bdms: None,
            recreate: Some(recreate),
            on_shared_storage: Some(if recreate {
                evacuation
                    .on_shared_storage
                    .map_or(Value::Null, Value::Bool)
            } else {
                json!(false)
            }),
            preserve_ephemeral: Some(request.preserve_ephemeral),
            migration: evacuation.migration,
            scheduled_node: evacuation.scheduled_node,
            limits: Some(evacuation.limits.unwrap_or_else(|| json!({}))),
            request_spec: None,
            accel_uuids: Some(json!([])),
            reimage_boot_volume: Some(json!(false)),
            target_state: evacuation.target_state,
        };
        rpc_args::cast(&self.at(host).with_version("6.2"), ctx, &args).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuild_is_sent_as_novas_proxies_send_it() {
        let task = RebuildInstanceTask {
            instance: json!(1),
            new_pass: Some("pw".into()),
            injected_files: Some(vec![InjectedFile("/etc/motd".into(), "aGk=".into())]),
            image_ref: Some("img".into()),
            orig_image_ref: Some("old".into()),
            orig_sys_metadata: Some(json!({})),
            bdms: None,
            recreate: Some(false),
            on_shared_storage: Some(json!(false)),
            preserve_ephemeral: Some(false),
            host: None,
            request_spec: None,
            reimage_boot_volume: Some(json!(false)),
            target_state: None,
        };
        let wire = task.to_kwargs().unwrap();
        let keys: Vec<&String> = wire.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 14, "{keys:?}");
        assert_eq!(task.to_kwargs().unwrap()["image_ref"], "img");
        assert_eq!(wire["injected_files"], json!([["/etc/motd", "aGk="]]));
        let back: RebuildInstanceTask = serde_json::from_value(wire).unwrap();
        assert_eq!(back, task);
        assert_eq!(RebuildInstance::METHOD, "rebuild_instance");
    }

    #[test]
    fn an_evacuation_is_sent_as_novas_api_sends_it() {
        // Nova `API.evacuate`: no image, recreate, the host only when forced.
        let task = RebuildInstanceTask {
            instance: json!(1),
            new_pass: Some("pw".into()),
            injected_files: None,
            image_ref: None,
            orig_image_ref: None,
            orig_sys_metadata: None,
            bdms: None,
            recreate: Some(true),
            on_shared_storage: None,
            preserve_ephemeral: Some(false),
            host: Some("h2".into()),
            request_spec: Some(json!({"nova_object.name": "RequestSpec"})),
            reimage_boot_volume: Some(json!(false)),
            target_state: Some("stopped".into()),
        };
        let wire = task.to_kwargs().unwrap();
        assert_eq!(wire.as_object().unwrap().len(), 14);
        assert_eq!(wire["recreate"], true);
        assert_eq!(wire["image_ref"], Value::Null);
        assert_eq!(wire["host"], "h2");
        assert_eq!(wire["target_state"], "stopped");
        let back: RebuildInstanceTask = serde_json::from_value(wire).unwrap();
        assert_eq!(back, task);
    }
}
